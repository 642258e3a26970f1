package dev.kiln.nn.optim;

import dev.kiln.core.AdagradParams;
import dev.kiln.core.AdamParams;
import dev.kiln.core.RmsPropParams;
import dev.kiln.core.SgdParams;
import dev.kiln.nn.Parameter;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Makes optimizers by name, from the CLI's few options or from a checkpoint's saved hyper-parameters. */
public final class Optimizers {
    /** The names {@link #create} knows. */
    public static final List<String> NAMES = List.of("sgd", "adam", "adamw", "rmsprop", "adagrad");

    private Optimizers() {
    }

    /**
     * The optimizer {@code name} with PyTorch's defaults, except for {@code momentum} (SGD and
     * RMSprop; must be 0 for the others) and {@code weightDecay} (null keeps the default:
     * 0, or 0.01 for AdamW).
     */
    public static Optimizer create(String name, List<Parameter> params, double lr, float momentum, Float weightDecay) {
        String n = name.toLowerCase(Locale.ROOT);
        if (momentum != 0 && !(n.equals("sgd") || n.equals("rmsprop"))) {
            throw new IllegalArgumentException("momentum applies to sgd and rmsprop, not " + n);
        }
        return switch (n) {
            case "sgd" -> new SGD(params, lr, new SgdParams(momentum, 0f, wd(weightDecay, 0f), false));
            case "adam" -> new Adam(params, lr, AdamParams.adam().withWeightDecay(wd(weightDecay, 0f)));
            case "adamw" -> new AdamW(params, lr, AdamParams.adamW().withWeightDecay(wd(weightDecay, 0.01f)));
            case "rmsprop" -> {
                RmsPropParams d = RmsPropParams.defaults();
                yield new RMSprop(params, lr, new RmsPropParams(d.alpha(), d.eps(), wd(weightDecay, 0f), momentum,
                        false));
            }
            case "adagrad" -> new Adagrad(params, lr, new AdagradParams(0f, 1e-10f, wd(weightDecay, 0f), 0f));
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: "
                    + String.join(", ", NAMES));
        };
    }

    private static float wd(Float given, float dflt) {
        return given == null ? dflt : given;
    }

    /** The optimizer {@code name} with the hyper-parameters {@link Optimizer#hyperParameters()} wrote. */
    public static Optimizer fromHyperParameters(String name, List<Parameter> params, double lr,
                                                Map<String, String> hp) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "sgd" -> {
                expect(n, hp, Set.of("momentum", "dampening", "weight_decay", "nesterov"));
                yield new SGD(params, lr, new SgdParams(num(hp, "momentum"), num(hp, "dampening"),
                        num(hp, "weight_decay"), bool(hp, "nesterov")));
            }
            case "adam", "adamw" -> {
                expect(n, hp, Set.of("beta1", "beta2", "eps", "weight_decay", "amsgrad"));
                AdamParams p = new AdamParams(num(hp, "beta1"), num(hp, "beta2"), num(hp, "eps"),
                        num(hp, "weight_decay"), bool(hp, "amsgrad"), n.equals("adamw"));
                yield n.equals("adamw") ? new AdamW(params, lr, p) : new Adam(params, lr, p);
            }
            case "rmsprop" -> {
                expect(n, hp, Set.of("alpha", "eps", "weight_decay", "momentum", "centered"));
                yield new RMSprop(params, lr, new RmsPropParams(num(hp, "alpha"), num(hp, "eps"),
                        num(hp, "weight_decay"), num(hp, "momentum"), bool(hp, "centered")));
            }
            case "adagrad" -> {
                expect(n, hp, Set.of("lr_decay", "eps", "weight_decay", "initial_accumulator_value"));
                yield new Adagrad(params, lr, new AdagradParams(num(hp, "lr_decay"), num(hp, "eps"),
                        num(hp, "weight_decay"), num(hp, "initial_accumulator_value")));
            }
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: "
                    + String.join(", ", NAMES));
        };
    }

    private static void expect(String name, Map<String, String> hp, Set<String> keys) {
        if (!hp.keySet().equals(keys)) {
            throw new IllegalArgumentException(name + " hyper-parameters must be " + keys + ", got " + hp.keySet());
        }
    }

    private static float num(Map<String, String> hp, String key) {
        try {
            return Float.parseFloat(hp.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("hyper-parameter " + key + " is not a number: '" + hp.get(key) + "'");
        }
    }

    private static boolean bool(Map<String, String> hp, String key) {
        String v = hp.get(key);
        if (!"true".equals(v) && !"false".equals(v)) {
            throw new IllegalArgumentException("hyper-parameter " + key + " must be true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }
}
