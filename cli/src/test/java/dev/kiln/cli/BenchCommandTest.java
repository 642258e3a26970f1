package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    /** JMH's forks inherit the host JVM's options: native access is granted there on JDK 22+. */
    @Test
    void nativeAccessIsGrantedToTheJmhJvmOnJdk22AndLater() {
        Path jar = Path.of("b.jar");
        assertEquals(List.of("java", "-jar", jar.toString()), BenchCommand.jmhCommand("java", 17, jar));
        assertEquals(List.of("java", "-jar", jar.toString()), BenchCommand.jmhCommand("java", 21, jar));
        assertEquals(List.of("/j/bin/java", "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString()),
                BenchCommand.jmhCommand("/j/bin/java", 25, jar));
    }
}
