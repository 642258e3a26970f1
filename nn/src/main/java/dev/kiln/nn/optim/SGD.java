package dev.kiln.nn.optim;

import dev.kiln.core.SgdParams;
import dev.kiln.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay, as {@code torch.optim.SGD}. */
public final class SGD extends Optimizer {
    private final SgdParams hp;

    /** Plain SGD. */
    public SGD(List<Parameter> params, double lr) {
        this(params, lr, SgdParams.plain());
    }

    public SGD(List<Parameter> params, double lr, SgdParams hp) {
        super(params, lr);
        this.hp = hp;
        if (hp.hasMomentum()) {
            addSlot("momentum_buffer", 0f);
        }
    }

    public SgdParams hyper() {
        return hp;
    }

    @Override
    protected void update(int index, Parameter p, float lr, long step) {
        p.value().backend().sgdStep(p.value(), p.grad(), slot(index, "momentum_buffer"), hp, lr, step);
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public Map<String, String> hyperParameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("momentum", f(hp.momentum()));
        m.put("dampening", f(hp.dampening()));
        m.put("weight_decay", f(hp.weightDecay()));
        m.put("nesterov", Boolean.toString(hp.nesterov()));
        return m;
    }
}
