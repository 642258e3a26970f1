package dev.kiln.cuda;

import dev.kiln.core.json.Json;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.ProbeResult;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GPU bundle's first check: runs the CUDA probe, prints one line, writes the result as JSON
 * to the first argument. Exit status 0 when CUDA is available, 3 when not.
 */
public final class ProbeMain {
    private ProbeMain() {
    }

    public static void main(String[] args) throws Exception {
        ProbeResult r = new CudaBackendProvider().probe();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("backend", "cuda");
        doc.put("available", r.isAvailable());
        if (!r.isAvailable()) {
            doc.put("reason", r.reason());
        }
        List<Object> devices = new ArrayList<>();
        for (DeviceInfo d : r.devices()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("spec", d.spec());
            m.put("name", d.name());
            m.put("memoryBytes", d.memoryBytes());
            m.put("properties", d.properties());
            devices.add(m);
        }
        doc.put("devices", devices);
        doc.put("details", r.details());
        if (args.length > 0) {
            Files.writeString(Path.of(args[0]), Json.pretty(doc) + "\n", StandardCharsets.UTF_8);
        }
        if (r.isAvailable()) {
            StringBuilder sb = new StringBuilder("cuda: available:");
            for (DeviceInfo d : r.devices()) {
                sb.append(' ').append(d.spec()).append(" ").append(d.name()).append(" ").append(d.properties());
            }
            System.out.println(sb);
            r.details().forEach((k, v) -> System.out.println("  " + k + ": " + v));
        } else {
            System.out.println("cuda: UNAVAILABLE: " + r.reason());
            r.details().forEach((k, v) -> System.out.println("  " + k + ": " + v));
            System.exit(3);
        }
    }
}
