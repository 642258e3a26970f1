package dev.kiln.nn.checkpoint;

import dev.kiln.core.json.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors) for float32
 * tensors: an 8-byte little-endian header length N, N bytes of JSON ({@code name -> {dtype,
 * shape, data_offsets}} plus an optional {@code __metadata__} string map), then the data,
 * little-endian, each tensor at its offsets relative to the end of the header.
 *
 * <p>Writes are atomic: the file is written to a temporary file in the same directory, forced to
 * disk, then renamed over the target, so a crash leaves either the old file or the new one. A
 * process killed mid-write leaves its temporary file ({@code .<name>.<random>.tmp}) behind; it
 * never affects reads, and the next successful write of the same file deletes it.
 * Reads check everything before trusting it (see {@link SafetensorsFormatException}).
 */
public final class Safetensors {
    /** The largest header accepted; real headers are a few KB. */
    static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /** A file's tensors (in file order) and metadata. */
    public record Contents(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    }

    /** Writes {@code tensors} (in map order) and {@code metadata} to {@code file}, atomically. */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__") || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("invalid tensor name '" + e.getKey() + "'");
            }
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dtype", "F32");
            List<Object> shape = new ArrayList<>();
            for (int d : e.getValue().shape()) {
                shape.add((long) d);
            }
            t.put("shape", shape);
            long bytes = 4L * e.getValue().data().length;
            t.put("data_offsets", List.of(offset, offset + bytes));
            offset += bytes;
            header.put(e.getKey(), t);
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        // Pad the header with spaces to a multiple of 8, as the reference implementation does, so data is aligned.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded);
        head.put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(file + ": the directory " + dir + " does not exist");
        }
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head);
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (HostTensor t : tensors.values()) {
                    for (float v : t.data()) {
                        if (buf.remaining() < 4) {
                            buf.flip();
                            writeFully(ch, buf);
                            buf.clear();
                        }
                        buf.putFloat(v);
                    }
                }
                buf.flip();
                writeFully(ch, buf);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            forceDirectory(dir);
            deleteLeftovers(dir, target.getFileName().toString());
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * Deletes the temporary files of earlier writes of {@code name} that never finished (the
     * process was killed). Best effort: a file that cannot be deleted is left for the next write.
     */
    private static void deleteLeftovers(Path dir, String name) {
        String prefix = "." + name + ".";
        try (var files = Files.newDirectoryStream(dir, p -> {
            String f = p.getFileName().toString();
            return f.startsWith(prefix) && f.endsWith(".tmp");
        })) {
            for (Path p : files) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Left for the next write; it never affects reading the target.
                }
            }
        } catch (IOException e) {
            // The directory cannot be listed: leftovers stay, harmlessly.
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void forceDirectory(Path dir) {
        // Makes the rename durable where the platform allows opening a directory; best effort elsewhere.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not supported on this platform (Windows); the rename itself is still atomic.
        }
    }

    /** Reads and validates a whole file. */
    public static Contents read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw new AccessDeniedException(file + ": not readable");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, file.toString());
        }
    }

    private static Contents read(FileChannel ch, String src) throws IOException {
        long fileSize = ch.size();
        if (fileSize < 8) {
            throw new SafetensorsFormatException(src + ": too short for a safetensors file (" + fileSize
                    + " bytes; the header length alone takes 8)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, src);
        long n = lenBuf.getLong(0);
        if (n < 2 || n > fileSize - 8) {
            throw new SafetensorsFormatException(src + ": header length " + Long.toUnsignedString(n)
                    + " does not fit in the file of " + fileSize + " bytes");
        }
        if (n > MAX_HEADER) {
            throw new SafetensorsFormatException(src + ": header length " + n + " exceeds the limit of "
                    + MAX_HEADER + " bytes");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8, src);
        String text = new String(hb.array(), StandardCharsets.UTF_8);
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(src + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> header)) {
            throw new SafetensorsFormatException(src + ": header must be a JSON object");
        }
        long dataStart = 8 + n;
        long dataLen = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        record Entry(String name, int[] shape, long begin, long end) {
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new SafetensorsFormatException(src + ": __metadata__ must be an object of strings");
                }
                for (Map.Entry<?, ?> me : m.entrySet()) {
                    if (!(me.getValue() instanceof String s)) {
                        throw new SafetensorsFormatException(src + ": __metadata__ value for '" + me.getKey()
                                + "' is not a string");
                    }
                    metadata.put((String) me.getKey(), s);
                }
                continue;
            }
            if (!(e.getValue() instanceof Map<?, ?> t)) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' must be described by an object");
            }
            Object dtype = t.get("dtype");
            if (!(dtype instanceof String)) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' has no dtype");
            }
            if (!dtype.equals("F32")) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' has dtype " + dtype
                        + "; Kiln reads F32 only (save with torch.float32)");
            }
            int[] shape = shape(src, name, t.get("shape"));
            long[] off = offsets(src, name, t.get("data_offsets"));
            if (off[1] > dataLen) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' data_offsets [" + off[0] + ", "
                        + off[1] + "] run past the end of the data (" + dataLen + " bytes)");
            }
            long elems = 1;
            for (int d : shape) {
                elems *= d;
            }
            if (elems * 4 != off[1] - off[0]) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' has shape "
                        + java.util.Arrays.toString(shape) + " (" + elems * 4 + " bytes of F32) but its data_offsets"
                        + " span " + (off[1] - off[0]) + " bytes");
            }
            entries.add(new Entry(name, shape, off[0], off[1]));
        }
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).begin() < sorted.get(i - 1).end()) {
                throw new SafetensorsFormatException(src + ": tensors '" + sorted.get(i - 1).name() + "' and '"
                        + sorted.get(i).name() + "' overlap in the data");
            }
        }
        long covered = sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1).end();
        if (covered != dataLen) {
            throw new SafetensorsFormatException(src + ": the data section has " + dataLen + " bytes but the tensors"
                    + " end at " + covered);
        }
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (Entry en : entries) {
            int count = (int) ((en.end() - en.begin()) / 4);
            ByteBuffer b = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, b, dataStart + en.begin(), src);
            float[] data = new float[count];
            b.asFloatBuffer().get(data);
            tensors.put(en.name(), new HostTensor(en.shape(), data));
        }
        return new Contents(tensors, metadata);
    }

    private static int[] shape(String src, String name, Object o) throws SafetensorsFormatException {
        if (!(o instanceof List<?> l)) {
            throw new SafetensorsFormatException(src + ": tensor '" + name + "' has no shape list");
        }
        int[] s = new int[l.size()];
        long n = 1;
        for (int i = 0; i < s.length; i++) {
            if (!(l.get(i) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' has a bad shape " + l);
            }
            s[i] = (int) (long) v;
            n *= v;
            if (n > Integer.MAX_VALUE / 4) {
                throw new SafetensorsFormatException(src + ": tensor '" + name + "' shape " + l + " is too large");
            }
        }
        return s;
    }

    private static long[] offsets(String src, String name, Object o) throws SafetensorsFormatException {
        if (!(o instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Long b) || !(l.get(1) instanceof Long e)
                || b < 0 || e < b) {
            throw new SafetensorsFormatException(src + ": tensor '" + name + "' has bad data_offsets " + o
                    + " (need [begin, end] with 0 <= begin <= end)");
        }
        return new long[] {b, e};
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos, String src) throws IOException {
        long p = pos;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) {
                throw new SafetensorsFormatException(src + ": truncated at byte " + p);
            }
            p += r;
        }
        b.flip();
    }
}
