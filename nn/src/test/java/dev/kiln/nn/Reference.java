package dev.kiln.nn;

import dev.kiln.core.json.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** PyTorch's reference results (test resource pytorch-reference.json) and helpers to read its nested lists. */
public final class Reference {
    private static List<Map<String, Object>> cases;

    private Reference() {
    }

    /** The cases whose {@code op} is {@code op}. */
    @SuppressWarnings("unchecked")
    public static synchronized List<Map<String, Object>> cases(String op) {
        if (cases == null) {
            try (InputStream in = Reference.class.getResourceAsStream("/pytorch-reference.json")) {
                if (in == null) {
                    throw new IllegalStateException("test resource pytorch-reference.json is missing");
                }
                Map<String, Object> root = (Map<String, Object>) Json.parse(new String(in.readAllBytes(),
                        StandardCharsets.UTF_8));
                cases = (List<Map<String, Object>>) root.get("cases");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            if (op.equals(c.get("op"))) {
                out.add(c);
            }
        }
        return out;
    }

    /** A nested list flattened row-major to floats. */
    public static float[] floats(Object nested) {
        List<Float> acc = new ArrayList<>();
        flatten(nested, acc);
        float[] f = new float[acc.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = acc.get(i);
        }
        return f;
    }

    /** A nested list flattened to ints. */
    public static int[] ints(Object nested) {
        float[] f = floats(nested);
        int[] r = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            r[i] = (int) f[i];
        }
        return r;
    }

    /** The dimensions of a nested list. */
    public static int[] dims(Object nested) {
        List<Integer> d = new ArrayList<>();
        Object o = nested;
        while (o instanceof List<?> l) {
            d.add(l.size());
            o = l.isEmpty() ? null : l.get(0);
        }
        return d.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void flatten(Object o, List<Float> acc) {
        if (o instanceof List<?> l) {
            for (Object x : l) {
                flatten(x, acc);
            }
        } else {
            acc.add(((Number) o).floatValue());
        }
    }

    /** Asserts |a - e| <= atol + rtol |e| elementwise. */
    public static void assertClose(float[] expected, float[] actual, double rtol, double atol, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (diff " + diff + ")");
            }
        }
    }
}
