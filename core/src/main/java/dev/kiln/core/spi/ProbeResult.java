package dev.kiln.core.spi;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a provider's probe found: either the usable devices, or the one-line reason why none is
 * usable. {@code details} carries backend-wide facts for {@code kiln info} (SIMD width, whether
 * cuBLAS loaded, ...).
 */
public record ProbeResult(List<DeviceInfo> devices, String reason, Map<String, String> details) {
    public ProbeResult {
        devices = devices == null ? List.of() : List.copyOf(devices);
        details = details == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
        if (devices.isEmpty() && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException("a probe without devices must give a reason");
        }
    }

    public static ProbeResult available(List<DeviceInfo> devices, Map<String, String> details) {
        return new ProbeResult(devices, null, details);
    }

    public static ProbeResult unavailable(String reason) {
        return new ProbeResult(List.of(), oneLine(reason), Map.of());
    }

    public static ProbeResult unavailable(String reason, Map<String, String> details) {
        return new ProbeResult(List.of(), oneLine(reason), details);
    }

    public boolean isAvailable() {
        return !devices.isEmpty();
    }

    private static String oneLine(String reason) {
        if (reason == null || reason.isBlank()) {
            return "unknown reason";
        }
        String s = reason.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
        return s.length() > 300 ? s.substring(0, 297) + "..." : s;
    }
}
