/*
 * Kiln portable kernel dialect -> OpenCL C 1.2.
 *
 * Kernel sources (*.kc) are written once against these macros; cuda_prelude.h maps the same
 * names to CUDA. The host defines KILN_WG (the 1-D work-group size, a power of two) and the
 * GEMM tile parameters on the compiler command line.
 *
 * Launch convention: 1-D kernels are launched with a global size that is a multiple of the
 * local size; GID/LID/GROUP_ID/LOCAL_SIZE/NUM_GROUPS mean the same thing in both dialects.
 */
#define KILN_OPENCL 1

#define KERNEL            __kernel
#define GLOBAL            __global
#define LOCAL             __local            /* declares a work-group shared array inside a kernel */
#define LOCAL_PTR         __local            /* qualifies a pointer to such an array */
#define RESTRICT          restrict
#define FN                inline
#define BARRIER()         barrier(CLK_LOCAL_MEM_FENCE)

#define GID(d)            ((int) get_global_id(d))
#define LID(d)            ((int) get_local_id(d))
#define GROUP_ID(d)       ((int) get_group_id(d))
#define LOCAL_SIZE(d)     ((int) get_local_size(d))
#define NUM_GROUPS(d)     ((int) get_num_groups(d))
#define GLOBAL_SIZE(d)    ((int) get_global_size(d))

/* 32-bit integer atomics (OpenCL 1.1+ core); used only for error flags and counters. */
#define ATOMIC_ADD_INT(p, v)  atomic_add((p), (v))
#define ATOMIC_MIN_INT(p, v)  atomic_min((p), (v))

/* Precise math: never native_* or half_*, so results match the reference within float rounding. */
#define EXP(x)        exp(x)
#define LOG(x)        log(x)
#define LOG1P(x)      log1p(x)
#define EXPM1(x)      expm1(x)
#define TANH(x)       tanh(x)
#define ERF(x)        erf(x)
#define SQRT(x)       sqrt(x)
#define FABS(x)       fabs(x)
#define FMAX(a, b)    fmax((a), (b))
#define FMIN(a, b)    fmin((a), (b))
#define ISNAN(x)      isnan(x)
#define KILN_INF      INFINITY
#define KILN_NAN      NAN
#define KILN_INT_MAX  2147483647
#define I64           long           /* 64-bit offsets */

/* Four consecutive floats: loads and stores (the element pointer needs only float alignment in
 * OpenCL; the CUDA dialect needs 16-byte alignment, which callers guarantee), construction. */
#define VLOAD4(p, i)      vload4(0, (p) + (i))
#define VSTORE4(v, p, i)  vstore4((v), 0, (p) + (i))
#define MAKE_FLOAT4(a, b, c, d) ((float4) ((a), (b), (c), (d)))
#define ALIGN16           __attribute__((aligned(16)))
#define UNROLL            _Pragma("unroll")
/* A kernel that must run with exactly this many work-items per work-group (1-D). */
#define WG_BOUNDS(threads, blocks) __attribute__((reqd_work_group_size((threads), 1, 1)))
