package dev.kiln.cli;

import dev.kiln.core.BackendUnavailableException;
import dev.kiln.core.Backends;
import dev.kiln.core.json.Json;
import dev.kiln.core.spi.DeviceInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code kiln info}: every backend on the class path, its devices or why it is unavailable, and what {@code auto} picks. */
final class InfoCommand implements Command {

    @Override
    public String name() {
        return "info";
    }

    @Override
    public String summary() {
        return "list the backends and devices, and which one auto picks";
    }

    @Override
    public String usage() {
        return """
                Usage: kiln info [--json]

                Lists every backend Kiln knows: available with its devices (and, for cpu, threads
                and SIMD), or the one-line reason it is not. Shows which backend 'auto' picks and
                what -Dkiln.backend / KILN_BACKEND request.

                  --json   print the same as JSON""";
    }

    @Override
    public int run(List<String> args, Console console) {
        Options a = Options.parse(args, Set.of(), Set.of("--json"));
        Map<String, Object> info = collect();
        if (a.has("--json")) {
            console.out().println(Json.pretty(info));
        } else {
            console.out().print(render(info));
        }
        return 0;
    }

    static Map<String, Object> collect() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("kiln", Version.get());
        root.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        root.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        root.put("cores", Runtime.getRuntime().availableProcessors());
        List<Object> backends = new ArrayList<>();
        for (Backends.ProbeReport r : Backends.probeAll()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", r.name());
            b.put("available", r.available());
            if (!r.available()) {
                b.put("reason", r.result().reason());
            }
            b.put("details", r.result().details());
            List<Object> devices = new ArrayList<>();
            for (DeviceInfo d : r.result().devices()) {
                Map<String, Object> dm = new LinkedHashMap<>();
                dm.put("spec", d.spec());
                dm.put("name", d.name());
                dm.put("type", d.type().name().toLowerCase(java.util.Locale.ROOT));
                dm.put("memoryBytes", d.memoryBytes());
                dm.put("priority", r.provider().priority(d));
                dm.put("properties", d.properties());
                devices.add(dm);
            }
            b.put("devices", devices);
            backends.add(b);
        }
        root.put("backends", backends);
        String requested = Backends.requestedSpec();
        root.put("requested", requested);
        try {
            Backends.Candidate c = Backends.resolve("auto");
            root.put("auto", c.device().spec());
            root.put("autoDevice", c.device().name());
        } catch (BackendUnavailableException e) {
            root.put("auto", null);
            root.put("autoReason", e.reason());
        }
        if (!requested.equals("auto")) {
            try {
                root.put("requestedDevice", Backends.resolve(requested).device().spec());
            } catch (RuntimeException e) {
                root.put("requestedError", e.getMessage());
            }
        }
        return root;
    }

    @SuppressWarnings("unchecked")
    static String render(Map<String, Object> info) {
        StringBuilder sb = new StringBuilder();
        sb.append("Kiln ").append(info.get("kiln")).append(" on ").append(info.get("java")).append(", ")
                .append(info.get("os")).append(", ").append(info.get("cores")).append(" cores\n\n");
        sb.append("Backends:\n");
        for (Object o : (List<Object>) info.get("backends")) {
            Map<String, Object> b = (Map<String, Object>) o;
            boolean ok = (Boolean) b.get("available");
            sb.append(String.format("  %-8s %s%n", b.get("name"), ok ? "available" : "unavailable: " + b.get("reason")));
            for (Object d : (List<Object>) b.get("devices")) {
                Map<String, Object> dm = (Map<String, Object>) d;
                long mem = ((Number) dm.get("memoryBytes")).longValue();
                sb.append(String.format("           %-10s %s (%s%s, priority %s)%n", dm.get("spec"), dm.get("name"),
                        dm.get("type"), mem > 0 ? String.format(", %.1f GiB", mem / (1024.0 * 1024 * 1024)) : "",
                        dm.get("priority")));
                for (Map.Entry<String, String> e : ((Map<String, String>) dm.get("properties")).entrySet()) {
                    sb.append(String.format("                      %s: %s%n", e.getKey(), e.getValue()));
                }
            }
            for (Map.Entry<String, String> e : ((Map<String, String>) b.get("details")).entrySet()) {
                sb.append(String.format("           %s: %s%n", e.getKey(), e.getValue()));
            }
        }
        sb.append('\n');
        if (info.get("auto") != null) {
            sb.append("auto picks: ").append(info.get("auto")).append(" (").append(info.get("autoDevice")).append(")\n");
        } else {
            sb.append("auto picks: nothing: ").append(info.get("autoReason")).append('\n');
        }
        sb.append("requested (-Dkiln.backend / KILN_BACKEND): ").append(info.get("requested"));
        if (info.containsKey("requestedDevice")) {
            sb.append(" -> ").append(info.get("requestedDevice"));
        }
        if (info.containsKey("requestedError")) {
            sb.append(" -> cannot be met: ").append(info.get("requestedError"));
        }
        sb.append('\n');
        return sb.toString();
    }
}
