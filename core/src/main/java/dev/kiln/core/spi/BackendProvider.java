package dev.kiln.core.spi;

/**
 * A compute backend Kiln can choose at run time, found by {@link java.util.ServiceLoader}.
 *
 * <p>Contract: the provider's constructor and {@link #name()} touch no native code.
 * {@link #probe()} is cheap, never throws (it catches {@link LinkageError} too), and its result
 * is cached by the caller. Native classes are loaded only inside {@link #probe()} and
 * {@link #open(DeviceInfo)}.
 */
public interface BackendProvider {

    /** A short lower-case name, like {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** The usable devices, or the reason there are none. Never throws. */
    ProbeResult probe();

    /**
     * How much {@code auto} prefers this device: higher wins. Conventions: a CUDA GPU 300, an
     * OpenCL GPU 200, the Java CPU backend 100, OpenCL on a CPU driver 50.
     */
    int priority(DeviceInfo device);

    /** Opens a device from this provider's probe. Throws {@link dev.kiln.core.KilnException} on failure. */
    ComputeEngine open(DeviceInfo device);
}
