/*
 * Kiln portable kernel dialect -> CUDA C++ (nvcc or NVRTC).
 *
 * The same *.kc sources as OpenCL. Kernels are extern "C" so the host finds them by their
 * plain names. GID(d) is blockIdx * blockDim + threadIdx per dimension, which equals OpenCL's
 * get_global_id when the grid is launched as (global size / local size) blocks.
 */
#define KILN_CUDA 1

#define KERNEL            extern "C" __global__
#define GLOBAL
#define LOCAL             __shared__
#define LOCAL_PTR
#define RESTRICT          __restrict__
#define FN                static __device__ __forceinline__
#define BARRIER()         __syncthreads()

__device__ __forceinline__ unsigned kiln_dim3(dim3 v, int d) { return d == 0 ? v.x : (d == 1 ? v.y : v.z); }
__device__ __forceinline__ unsigned kiln_uint3(uint3 v, int d) { return d == 0 ? v.x : (d == 1 ? v.y : v.z); }

#define LID(d)            ((int) kiln_uint3(threadIdx, (d)))
#define GROUP_ID(d)       ((int) kiln_uint3(blockIdx, (d)))
#define LOCAL_SIZE(d)     ((int) kiln_dim3(blockDim, (d)))
#define NUM_GROUPS(d)     ((int) kiln_dim3(gridDim, (d)))
#define GID(d)            (GROUP_ID(d) * LOCAL_SIZE(d) + LID(d))
#define GLOBAL_SIZE(d)    (NUM_GROUPS(d) * LOCAL_SIZE(d))

#define ATOMIC_ADD_INT(p, v)  atomicAdd((p), (v))
#define ATOMIC_MIN_INT(p, v)  atomicMin((p), (v))

/* Precise single-precision math (no --use_fast_math, no __expf intrinsics). */
#define EXP(x)        expf(x)
#define LOG(x)        logf(x)
#define LOG1P(x)      log1pf(x)
#define EXPM1(x)      expm1f(x)
#define TANH(x)       tanhf(x)
#define ERF(x)        erff(x)
#define SQRT(x)       sqrtf(x)
#define FABS(x)       fabsf(x)
#define FMAX(a, b)    fmaxf((a), (b))
#define FMIN(a, b)    fminf((a), (b))
#define ISNAN(x)      isnan(x)
#define KILN_INF      __int_as_float(0x7f800000)
#define KILN_NAN      __int_as_float(0x7fffffff)
#define KILN_INT_MAX  2147483647
#define I64           long long      /* 64-bit offsets, also on Windows */

/* Four consecutive floats (16-byte aligned: callers guarantee it), construction. */
#define VLOAD4(p, i)      (*(const float4*) ((p) + (i)))
#define VSTORE4(v, p, i)  (*(float4*) ((p) + (i)) = (v))
#define MAKE_FLOAT4(a, b, c, d) make_float4((a), (b), (c), (d))
#define ALIGN16           __align__(16)
#define UNROLL            _Pragma("unroll")
/* At most this many threads per block, and registers left for this many blocks per SM. */
#define WG_BOUNDS(threads, blocks) __launch_bounds__((threads), (blocks))
