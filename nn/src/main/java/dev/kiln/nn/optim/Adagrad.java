package dev.kiln.nn.optim;

import dev.kiln.core.AdagradParams;
import dev.kiln.nn.Parameter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Adagrad, as {@code torch.optim.Adagrad}; the accumulator starts at {@code initialAccumulatorValue}. */
public final class Adagrad extends Optimizer {
    private final AdagradParams hp;

    /** PyTorch's defaults: no lr decay, eps 1e-10, accumulator starting at 0. */
    public Adagrad(List<Parameter> params, double lr) {
        this(params, lr, AdagradParams.defaults());
    }

    public Adagrad(List<Parameter> params, double lr, AdagradParams hp) {
        super(params, lr);
        this.hp = hp;
        addSlot("sum", hp.initialAccumulatorValue());
    }

    public AdagradParams hyper() {
        return hp;
    }

    @Override
    protected void update(int index, Parameter p, float lr, long step) {
        p.value().backend().adagradStep(p.value(), p.grad(), slot(index, "sum"), hp, lr, step);
    }

    @Override
    public String name() {
        return "adagrad";
    }

    @Override
    public Map<String, String> hyperParameters() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("lr_decay", f(hp.lrDecay()));
        m.put("eps", f(hp.eps()));
        m.put("weight_decay", f(hp.weightDecay()));
        m.put("initial_accumulator_value", f(hp.initialAccumulatorValue()));
        return m;
    }
}
