package dev.kiln.opencl;

import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The probe on this machine: devices listed with their facts, priorities by type, the service registration. */
class OpenClProbeTest {

    @Test
    void providerIsRegisteredAsAService() {
        boolean found = ServiceLoader.load(dev.kiln.core.spi.BackendProvider.class).stream()
                .anyMatch(p -> p.type() == OpenClBackendProvider.class);
        assertTrue(found, "META-INF/services lists OpenClBackendProvider");
        assertEquals("opencl", new OpenClBackendProvider().name());
    }

    @Test
    void probeListsDevicesWithTheirFacts() {
        DeviceInfo d = OpenClTestSupport.deviceOrSkip();
        ProbeResult r = OpenClTestSupport.PROVIDER.probe();
        assertTrue(r.isAvailable());
        assertEquals("opencl", d.backend());
        assertFalse(d.name().isBlank());
        assertTrue(d.memoryBytes() > 0);
        for (String key : new String[] {"platform", "opencl", "compute units"}) {
            assertTrue(d.properties().containsKey(key), key + " in " + d.properties());
        }
        assertTrue(d.properties().get("opencl").startsWith("OpenCL"), d.properties().get("opencl"));
        for (int i = 0; i < r.devices().size(); i++) {
            assertEquals(i, r.devices().get(i).index(), "global device indices are dense");
        }
        String gemm = r.details().get("gemm");
        assertTrue(gemm.startsWith("CLBlast ") || gemm.startsWith("portable kernel"), gemm);
        assertTrue(r == OpenClTestSupport.PROVIDER.probe(), "the probe is cached");
    }

    @Test
    void prioritiesRankGpusAboveJavaAndCpuDriversBelow() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        assertEquals(200, p.priority(dev(DeviceType.GPU)));
        assertEquals(150, p.priority(dev(DeviceType.ACCELERATOR)));
        assertEquals(50, p.priority(dev(DeviceType.CPU)));
        assertTrue(p.priority(dev(DeviceType.CPU)) < 100 && p.priority(dev(DeviceType.GPU)) > 100);
    }

    @Test
    void gemmPathComesFromASystemProperty() {
        String saved = System.getProperty("kiln.opencl.gemm");
        try {
            System.clearProperty("kiln.opencl.gemm");
            assertEquals(OpenClEngine.GemmPath.AUTO, OpenClEngine.Options.fromSystemProperties().gemm());
            System.setProperty("kiln.opencl.gemm", "portable");
            assertEquals(OpenClEngine.GemmPath.PORTABLE, OpenClEngine.Options.fromSystemProperties().gemm());
            assertEquals("portable kernel (kiln.opencl.gemm=portable)", OpenClBackendProvider.gemmDescription());
            System.setProperty("kiln.opencl.gemm", "CLBlast");
            assertEquals(OpenClEngine.GemmPath.CLBLAST, OpenClEngine.Options.fromSystemProperties().gemm());
            System.setProperty("kiln.opencl.gemm", "cublas");
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    OpenClEngine.Options::fromSystemProperties);
            assertTrue(e.getMessage().contains("clblast, portable or auto"), e.getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty("kiln.opencl.gemm");
            } else {
                System.setProperty("kiln.opencl.gemm", saved);
            }
        }
    }

    private static DeviceInfo dev(DeviceType t) {
        return new DeviceInfo("opencl", 0, "x", t, 0, Map.of());
    }
}
