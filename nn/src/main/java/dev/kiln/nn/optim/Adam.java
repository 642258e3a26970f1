package dev.kiln.nn.optim;

import dev.kiln.core.AdamParams;
import dev.kiln.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Adam, with optional AMSGrad and (L2) weight decay, as {@code torch.optim.Adam}; see {@link AdamW} for decoupled decay. */
public class Adam extends Optimizer {
    private final AdamParams hp;

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8. */
    public Adam(List<Parameter> params, double lr) {
        this(params, lr, AdamParams.adam());
    }

    public Adam(List<Parameter> params, double lr, AdamParams hp) {
        super(params, lr);
        if (hp.decoupled() != (this instanceof AdamW)) {
            throw new IllegalArgumentException(hp.decoupled() ? "decoupled weight decay is AdamW; use new AdamW(...)"
                    : "AdamW needs decoupled AdamParams");
        }
        this.hp = hp;
        addSlot("exp_avg", 0f);
        addSlot("exp_avg_sq", 0f);
        if (hp.amsgrad()) {
            addSlot("max_exp_avg_sq", 0f);
        }
    }

    public AdamParams hyper() {
        return hp;
    }

    @Override
    protected void update(int index, Parameter p, float lr, long step) {
        p.value().backend().adamStep(p.value(), p.grad(), slot(index, "exp_avg"), slot(index, "exp_avg_sq"),
                slot(index, "max_exp_avg_sq"), hp, lr, step);
    }

    @Override
    public String name() {
        return "adam";
    }

    @Override
    public Map<String, String> hyperParameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("beta1", f(hp.beta1()));
        m.put("beta2", f(hp.beta2()));
        m.put("eps", f(hp.eps()));
        m.put("weight_decay", f(hp.weightDecay()));
        m.put("amsgrad", Boolean.toString(hp.amsgrad()));
        return m;
    }
}
