package dev.kiln.nn.checkpoint;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Map<String, HostTensor> sample() {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        m.put("0.weight", new HostTensor(new int[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 6e30f}));
        m.put("0.bias", new HostTensor(new int[] {2}, new float[] {0.25f, -7}));
        m.put("empty", new HostTensor(new int[] {0, 4}, new float[0]));
        return m;
    }

    @Test
    void roundTripKeepsBitsNamesOrderAndMetadata() throws IOException {
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, sample(), Map.of("epoch", "3", "note", "ünïcode \"quoted\""));
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(List.copyOf(sample().keySet()), List.copyOf(c.tensors().keySet()));
        for (String k : sample().keySet()) {
            assertArrayEquals(sample().get(k).shape(), c.tensors().get(k).shape());
            assertArrayEquals(sample().get(k).data(), c.tensors().get(k).data(), 0f);
        }
        assertEquals("3", c.metadata().get("epoch"));
        assertEquals("ünïcode \"quoted\"", c.metadata().get("note"));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void layoutIsTheSafetensorsFormat() throws IOException {
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, sample(), Map.of());
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8).trim();
        assertTrue(header.contains("\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"), header);
        assertEquals(8 + n + 4 * 8, bytes.length);
        float first = ByteBuffer.wrap(bytes, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertEquals(1f, first);
    }

    private Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private void assertBad(Path p, String fragment) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void malformedFilesGetClearErrors() throws IOException {
        Path p = dir.resolve("short");
        Files.write(p, new byte[] {1, 2, 3});
        assertBad(p, "too short");

        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
        Path big = dir.resolve("big");
        Files.write(big, b.array());
        assertBad(big, "header length 1000 does not fit");
        ByteBuffer neg = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(0);
        Files.write(big, neg.array());
        assertBad(big, "does not fit");

        assertBad(file("{\"a\": {\"dtype\": \"F32\", ", 0), "not valid JSON");
        assertBad(file("[1, 2]", 0), "must be a JSON object");
        assertBad(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "dtype F16");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8), "past the end");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "shape [3]");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "bad data_offsets");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "bad shape");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12), "end at 8");
        assertBad(file("{\"__metadata__\":{\"k\":1}}", 0), "not a string");
    }

    @Test
    void failedWriteLeavesTheOldFileAlone() throws IOException {
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, sample(), Map.of("v", "1"));
        byte[] before = Files.readAllBytes(f);
        Map<String, HostTensor> bad = new LinkedHashMap<>(sample());
        bad.put("__metadata__", new HostTensor(new int[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, bad, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }
}
