package dev.kiln.nn.optim;

import dev.kiln.core.RmsPropParams;
import dev.kiln.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** RMSprop, plain, centered and/or with momentum, as {@code torch.optim.RMSprop}. */
public final class RMSprop extends Optimizer {
    private final RmsPropParams hp;

    /** PyTorch's defaults: alpha 0.99, eps 1e-8. */
    public RMSprop(List<Parameter> params, double lr) {
        this(params, lr, RmsPropParams.defaults());
    }

    public RMSprop(List<Parameter> params, double lr, RmsPropParams hp) {
        super(params, lr);
        this.hp = hp;
        addSlot("square_avg", 0f);
        if (hp.momentum() != 0) {
            addSlot("momentum_buffer", 0f);
        }
        if (hp.centered()) {
            addSlot("grad_avg", 0f);
        }
    }

    public RmsPropParams hyper() {
        return hp;
    }

    @Override
    protected void update(int index, Parameter p, float lr, long step) {
        p.value().backend().rmspropStep(p.value(), p.grad(), slot(index, "square_avg"), slot(index, "grad_avg"),
                slot(index, "momentum_buffer"), hp, lr, step);
    }

    @Override
    public String name() {
        return "rmsprop";
    }

    @Override
    public Map<String, String> hyperParameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("alpha", f(hp.alpha()));
        m.put("eps", f(hp.eps()));
        m.put("weight_decay", f(hp.weightDecay()));
        m.put("momentum", f(hp.momentum()));
        m.put("centered", Boolean.toString(hp.centered()));
        return m;
    }
}
