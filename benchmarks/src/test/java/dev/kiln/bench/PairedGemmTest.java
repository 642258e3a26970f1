package dev.kiln.bench;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The paired Kiln-against-OpenBLAS check runs both libraries on the shapes it is given. */
class PairedGemmTest {
    @Test
    void printsOneRowPerShapeWithARatio() {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            PairedGemm.main(new String[] {"--rounds", "3", "20x30x40_NT", "24"});
        } finally {
            System.setOut(out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.matches("(?s).*\\n20x30x40_NT +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+-[0-9.]+\\n.*"), text);
        assertTrue(text.matches("(?s).*\\n24 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+-[0-9.]+\\n.*"), text);
    }

    @Test
    void rejectsMalformedShapes() {
        assertThrows(IllegalArgumentException.class, () -> PairedGemm.main(new String[] {"--rounds", "3", "20x30"}));
        assertThrows(IllegalArgumentException.class, () -> PairedGemm.main(new String[] {"--rounds", "3", "8x8x8_XY"}));
        assertThrows(IllegalArgumentException.class, () -> PairedGemm.main(new String[] {"--rounds", "1", "8"}));
        assertThrows(IllegalArgumentException.class, () -> PairedGemm.main(new String[] {"--threads", "2", "8"}));
    }
}
