package dev.kiln.opencl;

/**
 * Deliberately wrong kernels for tests that prove the test suites catch kernel bugs. Applied
 * through {@link OpenClEngine.Options#sourceOverride()}, never in production code.
 */
final class PlantedBugs {
    static final String RIGHT_RELU =
            "FN float act_relu(float x, float p)       { return ISNAN(x) ? x : (x > 0.0f ? x : 0.0f); }";
    /** ReLU that leaks 1% of negative inputs: a plausible, small bug. */
    static final String WRONG_RELU =
            "FN float act_relu(float x, float p)       { return ISNAN(x) ? x : (x > 0.0f ? x : 0.01f * x); }";

    private PlantedBugs() {
    }

    /** The kernel source with the ReLU forward replaced by {@link #WRONG_RELU}. */
    static String wrongRelu(String source) {
        if (!source.contains(RIGHT_RELU)) {
            throw new IllegalStateException("activations.kc's relu changed: update PlantedBugs.RIGHT_RELU");
        }
        return source.replace(RIGHT_RELU, WRONG_RELU);
    }
}
