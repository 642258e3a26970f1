package dev.kiln.cpu;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.Tensor;

import java.util.Arrays;

/** Run in a child JVM started without the Vector API module by {@link CpuBackendProviderTest}. */
final class NoVectorMain {
    private NoVectorMain() {
    }

    public static void main(String[] args) {
        System.out.println("simd=" + new CpuBackendProvider().probe().details().get("simd"));
        try (Backend b = Backends.open("cpu");
             Tensor a = b.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor c = b.fromArray(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
             Tensor p = b.matmul(a, c);
             Tensor x = b.fromArray(TestSupport.random(1, 300 * 300, -1, 1), 300, 300);
             Tensor y = b.matmul(x, x)) {
            System.out.println("result=" + Arrays.toString(p.toFloatArray()));
            System.out.println("big=" + y.toFloatArray()[0]);
        }
    }
}
