package dev.kiln.core;

import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;

import java.util.List;
import java.util.Map;

/** Test providers registered through META-INF/services in core's test resources. */
public final class FakeProviders {
    private FakeProviders() {
    }

    /** Available, two devices: a CPU (priority 100) and a GPU (priority 300). */
    public static final class Fake implements BackendProvider {
        @Override
        public String name() {
            return "fake";
        }

        @Override
        public ProbeResult probe() {
            return ProbeResult.available(List.of(
                    new DeviceInfo("fake", 0, "fake cpu", DeviceType.CPU, 0, Map.of()),
                    new DeviceInfo("fake", 1, "fake gpu", DeviceType.GPU, 1L << 30, Map.of())), Map.of("simd", "n/a"));
        }

        @Override
        public int priority(DeviceInfo device) {
            return device.type() == DeviceType.GPU ? 300 : 100;
        }

        @Override
        public ComputeEngine open(DeviceInfo device) {
            return new FakeEngine(device);
        }
    }

    /** Never available: its probe gives a reason. */
    public static final class Absent implements BackendProvider {
        @Override
        public String name() {
            return "absent";
        }

        @Override
        public ProbeResult probe() {
            return ProbeResult.unavailable("libabsent.so.1 not found");
        }

        @Override
        public int priority(DeviceInfo device) {
            return 1000;
        }

        @Override
        public ComputeEngine open(DeviceInfo device) {
            throw new AssertionError("never opened");
        }
    }

    /** Breaks its contract by throwing from probe(): must be reported, not fatal. */
    public static final class Throwing implements BackendProvider {
        @Override
        public String name() {
            return "throwing";
        }

        @Override
        public ProbeResult probe() {
            throw new UnsatisfiedLinkError("no jthrowing in java.library.path");
        }

        @Override
        public int priority(DeviceInfo device) {
            return 0;
        }

        @Override
        public ComputeEngine open(DeviceInfo device) {
            throw new AssertionError("never opened");
        }
    }
}
