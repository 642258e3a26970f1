package dev.kiln.nn.layers;

import dev.kiln.core.Backend;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Module;
import dev.kiln.nn.Parameter;
import dev.kiln.nn.Rng;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Modules applied in order, as {@code torch.nn.Sequential}. Parameters are named by position,
 * activations included, exactly as PyTorch's {@code state_dict}: {@code 0.weight}, {@code 0.bias},
 * {@code 2.weight}, ... Backward runs the modules in reverse and skips the first module's input
 * gradient (the input is data). Closing it closes the modules.
 */
public final class Sequential implements Module {
    private final List<Module> modules;
    private final List<Parameter> parameters;

    /** The modules in order; the Sequential owns them. */
    public Sequential(List<? extends Module> modules) {
        if (modules.isEmpty()) {
            throw new IllegalArgumentException("Sequential needs at least one module");
        }
        this.modules = List.copyOf(modules);
        List<Parameter> ps = new ArrayList<>();
        for (int i = 0; i < this.modules.size(); i++) {
            for (Parameter p : this.modules.get(i).parameters()) {
                ps.add(p.renamed(i + "." + p.name()));
            }
        }
        this.parameters = List.copyOf(ps);
    }

    /** {@code new Sequential(List.of(modules))}. */
    public static Sequential of(Module... modules) {
        return new Sequential(List.of(modules));
    }

    /**
     * A multilayer perceptron {@code sizes[0] -> sizes[1] -> ... -> sizes[n-1]} with the named
     * activation ({@code relu}, {@code leaky_relu}, {@code sigmoid}, {@code tanh}, {@code gelu})
     * after every Linear but the last, initialised as PyTorch does from {@code rng}, layer by
     * layer. The 784-128-64-10 ReLU network is {@code mlp(backend, new int[]{784, 128, 64, 10}, "relu", rng)}.
     */
    public static Sequential mlp(Backend backend, int[] sizes, String activation, Rng rng) {
        if (sizes.length < 2) {
            throw new IllegalArgumentException("an MLP needs at least an input and an output size");
        }
        Supplier<Module> act = activationFactory(activation);
        List<Module> ms = new ArrayList<>();
        try {
            for (int i = 0; i + 1 < sizes.length; i++) {
                ms.add(new Linear(backend, sizes[i], sizes[i + 1], rng));
                if (i + 2 < sizes.length) {
                    ms.add(act.get());
                }
            }
        } catch (RuntimeException e) {
            ms.forEach(Module::close);
            throw e;
        }
        return new Sequential(ms);
    }

    /** The activation layer maker for a name used by {@link #mlp} and the CLI. */
    public static Supplier<Module> activationFactory(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "relu" -> ReLU::new;
            case "leaky_relu", "leakyrelu" -> LeakyReLU::new;
            case "sigmoid" -> Sigmoid::new;
            case "tanh" -> Tanh::new;
            case "gelu" -> GELU::new;
            default -> throw new IllegalArgumentException("unknown activation '" + name
                    + "'; known: relu, leaky_relu, sigmoid, tanh, gelu");
        };
    }

    /** The modules, in order. */
    public List<Module> modules() {
        return modules;
    }

    /** The module at {@code index}. */
    public Module get(int index) {
        return modules.get(index);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = x;
        for (Module m : modules) {
            h = m.forward(h);
        }
        return h;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Tensor g = dy;
        for (int i = modules.size() - 1; i >= 0; i--) {
            g = modules.get(i).backward(g, i > 0 || needInputGrad);
        }
        return g;
    }

    @Override
    public List<Parameter> parameters() {
        return parameters;
    }

    @Override
    public void close() {
        for (Module m : modules) {
            m.close();
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Sequential(");
        for (int i = 0; i < modules.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(i).append(": ").append(modules.get(i));
        }
        return sb.append(')').toString();
    }
}
