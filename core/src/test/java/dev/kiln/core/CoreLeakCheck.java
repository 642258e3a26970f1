package dev.kiln.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Core's own copy of testkit's {@code LeakCheck} (core's tests cannot depend on testkit, which
 * depends on core). A JUnit 5 extension that fails a test class which leaks tensors, naming each leaked tensor's
 * allocation site (with {@code -Dkiln.leaks=paranoid}, on in every Kiln test run).
 *
 * <p>After all tests of a class, it looks at the backends opened while the class ran: one closed
 * with live tensors, or still open (with or without tensors: its device context leaks), is a
 * leak. A backend left open is closed (its memory freed) before the class fails. Modules register it for every test class with
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in {@code junit-platform.properties}
 * and {@code META-INF/services/org.junit.jupiter.api.extension.Extension}. A class that leaks on
 * purpose (to test the leak report itself) carries {@code @Tag(CoreLeakCheck.EXPECTED_LEAKS)}.
 *
 * <p>Test classes are assumed to run one at a time in a JVM (Surefire's default); leaks of
 * concurrently running classes would be blamed on each other.
 */
public final class CoreLeakCheck implements BeforeAllCallback, AfterAllCallback {
    /** The tag of a test class that leaks on purpose. */
    public static final String EXPECTED_LEAKS = "expected-leaks";

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(CoreLeakCheck.class);

    /** What one class's check holds between beforeAll and afterAll. */
    private static final class Watch {
        final Set<Backend> before = Collections.newSetFromMap(new IdentityHashMap<>());
        final List<String> reports = Collections.synchronizedList(new ArrayList<>());
        final BiConsumer<Backend, String> listener = (b, report) -> reports.add(report);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (exempt(context)) {
            return;
        }
        Watch w = new Watch();
        w.before.addAll(Backend.openBackends());
        Backend.addLeakListener(w.listener);
        context.getStore(NS).put(Watch.class, w);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Watch w = context.getStore(NS).remove(Watch.class, Watch.class);
        if (w == null) {
            return;
        }
        Backend.removeLeakListener(w.listener);
        List<String> problems = new ArrayList<>(w.reports);
        for (Backend b : Backend.openBackends()) {
            if (w.before.contains(b)) {
                continue;
            }
            List<Tensor> live = b.liveTensors();
            if (live.isEmpty()) {
                problems.add("still open: backend " + b.name() + " (" + b + "), opened by this class and never closed");
                b.close();
                continue;
            }
            problems.add("still open: " + b.leakReport(live));
            try {
                b.close(); // frees the memory; the class fails below either way
            } catch (RuntimeException e) {
                // -Dkiln.leaks=fail throws from close(); the report above already says it all
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(context.getRequiredTestClass().getName() + " leaked tensors:\n"
                    + String.join("\n", problems));
        }
    }

    /** Only the class's own tag counts: nested classes of an exempt class are still checked. */
    private static boolean exempt(ExtensionContext context) {
        for (org.junit.jupiter.api.Tag t : context.getRequiredTestClass().getAnnotationsByType(org.junit.jupiter.api.Tag.class)) {
            if (EXPECTED_LEAKS.equals(t.value())) {
                return true;
            }
        }
        return false;
    }
}
