/**
 * Kiln's pure-Java backend ({@code cpu}): Java arrays as device memory, a packed, cache-blocked,
 * multi-threaded GEMM with a jdk.incubator.vector micro-kernel (plain loops without the module),
 * and fused loss and optimizer kernels; every result is independent of the thread count.
 */
package dev.kiln.cpu;
