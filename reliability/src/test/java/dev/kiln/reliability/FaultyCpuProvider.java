package dev.kiln.reliability;

import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.ProbeResult;
import dev.kiln.cpu.CpuBackendProvider;
import dev.kiln.testkit.FaultInjectingEngine;

/**
 * A test-only backend, {@code faulty}: the CPU backend behind a {@link FaultInjectingEngine} that
 * fails the call named by {@code -Dkiln.test.fault=OP:N:NATIVE_ERROR} (read when a device is
 * opened), so that whole programs, the CLI included, can meet a native failure. Its priority is 0,
 * so {@code auto} never picks it, and the reliability tests leave it out of "every backend".
 */
public final class FaultyCpuProvider implements BackendProvider {
    /** The name under which it is registered. */
    public static final String NAME = "faulty";
    /** The system property that arms the fault, like {@code adamStep:40:CL_OUT_OF_RESOURCES}. */
    public static final String PROPERTY = "kiln.test.fault";

    private final CpuBackendProvider cpu = new CpuBackendProvider();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ProbeResult probe() {
        return cpu.probe();
    }

    @Override
    public int priority(DeviceInfo device) {
        return 0;
    }

    @Override
    public ComputeEngine open(DeviceInfo device) {
        FaultInjectingEngine e = new FaultInjectingEngine(NAME, cpu.open(device));
        String spec = System.getProperty(PROPERTY, "");
        if (!spec.isEmpty()) {
            String[] p = spec.split(":");
            e.failOn(p[0], Integer.parseInt(p[1]), p[2]);
        }
        return e;
    }
}
