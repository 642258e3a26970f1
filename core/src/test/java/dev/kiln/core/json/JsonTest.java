package dev.kiln.core.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void parsesAndWritesRoundTrip() {
        String text = "{\"a\": [1, 2.5, -3e2, true, null], \"b\": {\"s\": \"x\\\"y\\u0041\\n\"}}";
        Object v = Json.parse(text);
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1L, 2.5, -300.0, true), ((List<?>) m.get("a")).subList(0, 4));
        assertEquals("x\"yA\n", ((Map<?, ?>) m.get("b")).get("s"));
        assertEquals(v, Json.parse(Json.write(v)));
        assertEquals(v, Json.parse(Json.pretty(v)));
    }

    @Test
    void rejectsMalformedInputWithAnOffset() {
        for (String bad : new String[] {"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1}x", "\"\\q\"", "{\"a\":1,\"a\":2}",
                "tru", "-", "[" .repeat(600)}) {
            Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
        }
    }
}
