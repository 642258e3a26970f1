package dev.kiln.nn.data;

import dev.kiln.nn.Mutations;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzzing the IDX reader: any mutation of a valid images or labels file, raw or gzip, either reads
 * or fails with {@link IdxFormatException} naming the file; nothing else escapes, and the reader
 * never allocates much more than the content present (the file, or its decompressed data for
 * gzip), whatever the header claims.
 */
class IdxFuzzTest {
    /** Fixed overheads (stream buffers, the exception, jqwik's own bookkeeping between the counters). */
    private static final long SLACK = 2L << 20;
    private static Path dir;

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("kiln-idx-fuzz");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    @Provide
    Arbitrary<List<Mutations.Mutation>> edits() {
        return Mutations.mutations(4);
    }

    @Property(tries = 250)
    void mutatedImagesFilesFailOnlyWithIdxFormatException(@ForAll("edits") List<Mutations.Mutation> edits,
                                                          @ForAll boolean gzip) throws IOException {
        byte[] raw = Mutations.apply(IdxFiles.images(6, 4, 5), edits, true);
        check(gzip ? IdxFiles.gzip(raw) : raw, true, raw.length);
    }

    @Property(tries = 150)
    void mutatedLabelsFilesFailOnlyWithIdxFormatException(@ForAll("edits") List<Mutations.Mutation> edits,
                                                          @ForAll boolean gzip) throws IOException {
        byte[] raw = Mutations.apply(IdxFiles.labels(1, 2, 3, 4, 5, 6, 7, 8, 9, 0), edits, true);
        check(gzip ? IdxFiles.gzip(raw) : raw, false, raw.length);
    }

    @Property(tries = 100)
    void damagedGzipStreamsFailOnlyWithIdxFormatException(@ForAll("edits") List<Mutations.Mutation> edits)
            throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.images(3, 4, 5));
        check(Mutations.apply(gz, edits, true), true, -1);
    }

    /** {@code content} is the length of the (decompressed) content, -1 when unknown (damaged gzip). */
    private static void check(byte[] bytes, boolean images, long content) throws IOException {
        Path p = Files.createTempFile(dir, "f", ".idx");
        try {
            Files.write(p, bytes);
            long before = Mutations.allocatedBytes();
            try {
                if (images) {
                    IdxReader.Images im = IdxReader.readImages(p);
                    assertEquals((long) im.count() * im.rows() * im.cols(), im.pixels().length);
                } else {
                    IdxReader.readLabels(p);
                }
            } catch (IdxFormatException e) {
                assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
            } catch (Throwable t) {
                fail("escaped as " + t + " for " + bytes.length + " bytes", t);
            }
            long allocated = Mutations.allocatedBytes() - before;
            if (content >= 0) {
                // A label becomes a 4-byte int; pixels are copied once from the read buffer. For gzip the bound
                // is the data actually present after decompression, never what the header claims.
                assertTrue(allocated <= 16L * content + SLACK, "allocated " + allocated + " bytes for "
                        + content + " bytes of content");
            }
        } finally {
            Files.delete(p);
        }
    }

    // ------------------------------------------------------------------ the corpus's gaps, spelled out

    @Example
    void emptyFileAndTruncatedHeaders() throws IOException {
        byte[] valid = IdxFiles.images(2, 2, 2);
        for (int len : new int[] {0, 1, 3, 4, 7, 11, 15}) {
            Path p = IdxFiles.write(dir, "cut" + len, java.util.Arrays.copyOf(valid, len));
            IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(p.toString()), e.getMessage());
            Files.delete(p);
        }
        Path empty = IdxFiles.write(dir, "empty-labels", new byte[0]);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(empty));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Files.delete(empty);
    }

    @Example
    void gigantricDimensionsAreRejectedBeforeAllocating() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + 64);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(1).putInt(65536).putInt(65536);
        Path p = IdxFiles.write(dir, "giant", b.array());
        long before = Mutations.allocatedBytes();
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("more than one Java array"), e.getMessage());
        b.putInt(4, 40000).putInt(8, 200).putInt(12, 200); // 1.6 GB declared, 64 bytes present
        Files.write(p, b.array());
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Files.write(p, IdxFiles.gzip(b.array()));
        e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(Mutations.allocatedBytes() - before < 8 * SLACK, "nothing near the declared size was allocated");
        Files.delete(p);
    }

    @Example
    void notGzipAtAll() throws IOException {
        Path p = IdxFiles.write(dir, "plain.gz", "this is not an IDX file, nor gzip".getBytes());
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(p));
        assertTrue(e.getMessage().contains("bad magic number"), e.getMessage());
        Files.delete(p);
    }
}
