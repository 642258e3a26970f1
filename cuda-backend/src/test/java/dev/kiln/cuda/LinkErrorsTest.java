package dev.kiln.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reason extraction on synthetic failures shaped like the JVM's and JCuda's. */
class LinkErrorsTest {

    @Test
    void directJvmMessageNamesTheMissingDependencyNotTheWrapper() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("/tmp/kiln-jcuda-1/libJCudaDriver-12.6.0-linux-x86_64.so: "
                + "libcuda.so.1: cannot open shared object file: No such file or directory");
        assertEquals("libcuda.so.1", LinkErrors.missingLibrary(e).orElseThrow());
        String r = LinkErrors.reason(e);
        assertTrue(r.startsWith("libcuda.so.1 not found"), r);
        assertFalse(r.contains("\n"), r);
    }

    @Test
    void digsThroughJCudaStyleMessageWithNestedStackTraceText() {
        // JCuda's LibUtils puts both attempts' stack traces into the message text of a new error.
        String nested = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Operating system name: Linux\nArchitecture         : amd64\n"
                + "---(start of nested stack traces)---\n"
                + "Stack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n"
                + "\tat java.base/java.lang.ClassLoader.loadLibrary(ClassLoader.java:2458)\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot "
                + "open shared object file: No such file or directory\n"
                + "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)\n"
                + "---(end of nested stack traces)---\n";
        RuntimeException outer = new RuntimeException("backend failed", new UnsatisfiedLinkError(nested));
        assertEquals("libcuda.so.1", LinkErrors.missingLibrary(outer).orElseThrow());
        assertTrue(LinkErrors.reason(outer).startsWith("libcuda.so.1 not found"));
    }

    @Test
    void innermostCauseWinsOverOuterMentions() {
        UnsatisfiedLinkError inner = new UnsatisfiedLinkError("/x/libJCublas2-12.6.0-linux-x86_64.so: libcublas.so.12: "
                + "cannot open shared object file: No such file or directory");
        Error outer = new Error("libJCublas2-12.6.0-linux-x86_64.so: cannot open shared object file", inner);
        assertEquals("libcublas.so.12", LinkErrors.missingLibrary(outer).orElseThrow());
        assertTrue(LinkErrors.reason(outer).contains("libcublas.so.12 not found"), LinkErrors.reason(outer));
    }

    @Test
    void suppressedErrorsAreSearchedToo() {
        Exception top = new Exception("probe failed");
        top.addSuppressed(new UnsatisfiedLinkError("/y/libJNvrtc-12.6.0-linux-x86_64.so: libnvrtc.so.12: cannot open "
                + "shared object file: No such file or directory"));
        assertEquals("libnvrtc.so.12", LinkErrors.missingLibrary(top).orElseThrow());
        assertTrue(LinkErrors.reason(top).contains("NVRTC"), LinkErrors.reason(top));
    }

    @Test
    void undefinedSymbolMeansTooOld() {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError("/z/libJCudaDriver.so: undefined symbol: cuGraphAddNode_v2");
        String r = LinkErrors.reason(e);
        assertTrue(r.contains("undefined symbol cuGraphAddNode_v2"), r);
    }

    @Test
    void otherFailuresGiveTheFirstLineOfTheRootCause() {
        Throwable t = new IllegalStateException("wrapper", new UnsatisfiedLinkError("something odd\nmore detail"));
        assertEquals("something odd", LinkErrors.reason(t));
    }

    @Test
    void causeCyclesDoNotLoop() {
        Exception a = new Exception("a");
        Exception b = new Exception("b", a);
        a.initCause(b);
        assertTrue(LinkErrors.missingLibrary(a).isEmpty());
        assertEquals(2, LinkErrors.chain(a).size());
    }
}
