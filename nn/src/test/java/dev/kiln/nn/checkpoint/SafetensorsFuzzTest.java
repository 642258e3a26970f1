package dev.kiln.nn.checkpoint;

import dev.kiln.nn.Mutations;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing the safetensors reader: any mutation of a valid checkpoint either reads (then every
 * tensor's data matches its shape) or fails with {@link SafetensorsFormatException} naming the
 * file; nothing else escapes, and the reader never allocates much more than the file's size,
 * whatever the header claims.
 */
class SafetensorsFuzzTest {
    private static final long SLACK = 2L << 20;
    private static Path dir;
    private static byte[] valid;

    @BeforeContainer
    static void makeFile() throws IOException {
        dir = Files.createTempDirectory("kiln-st-fuzz");
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("0.weight", new HostTensor(new int[] {3, 4}, new float[12]));
        t.put("0.bias", new HostTensor(new int[] {3}, new float[] {1, 2, 3}));
        t.put("2.weight", new HostTensor(new int[] {2, 3}, new float[] {1, -1, 2, -2, 3, -3}));
        Path f = dir.resolve("valid.safetensors");
        Safetensors.write(f, t, Map.of("format", "kiln-mlp", "epoch", "3"));
        valid = Files.readAllBytes(f);
        Files.delete(f);
    }

    @AfterContainer
    static void removeDir() throws IOException {
        Files.delete(dir);
    }

    @Provide
    Arbitrary<List<Mutations.Mutation>> edits() {
        return Mutations.mutations(4);
    }

    @Property(tries = 400)
    void mutatedFilesFailOnlyWithSafetensorsFormatException(@ForAll("edits") List<Mutations.Mutation> edits)
            throws IOException {
        check(Mutations.apply(valid, edits, false));
    }

    @Property(tries = 150)
    void headersWithAnotherDtypeOrNumberFailCleanly(@ForAll("edits") List<Mutations.Mutation> edits,
                                                    @ForAll("dtypes") String dtype) throws IOException {
        String s = new String(valid, StandardCharsets.ISO_8859_1).replaceFirst("\"F32\"", "\"" + dtype + "\"");
        check(Mutations.apply(s.getBytes(StandardCharsets.ISO_8859_1), edits, false));
    }

    @Provide
    Arbitrary<String> dtypes() {
        return net.jqwik.api.Arbitraries.of("F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "", "f32", "F32 ");
    }

    private static void check(byte[] bytes) throws IOException {
        Path p = Files.createTempFile(dir, "f", ".safetensors");
        try {
            Files.write(p, bytes);
            long before = Mutations.allocatedBytes();
            try {
                Safetensors.Contents c = Safetensors.read(p);
                for (HostTensor t : c.tensors().values()) {
                    long n = 1;
                    for (int d : t.shape()) {
                        n *= d;
                    }
                    assertEquals(n, t.data().length);
                }
            } catch (SafetensorsFormatException e) {
                assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
            } catch (Throwable t) {
                fail("escaped as " + t + " for " + bytes.length + " bytes", t);
            }
            long allocated = Mutations.allocatedBytes() - before;
            // The header is parsed into maps and strings (a few dozen bytes per header byte); the data once as bytes, once as floats.
            assertTrue(allocated <= 64L * bytes.length + SLACK, "allocated " + allocated + " bytes for a " + bytes.length
                    + "-byte file");
        } finally {
            Files.delete(p);
        }
    }
}
