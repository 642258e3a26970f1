package dev.kiln.cuda;

import dev.kiln.core.BackendUnavailableException;
import dev.kiln.core.spi.BackendProvider;
import dev.kiln.core.spi.ComputeEngine;
import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import dev.kiln.core.spi.ProbeResult;

/**
 * The CUDA backend: NVIDIA GPUs through JCuda's driver API, GEMM through cuBLAS when
 * libcublas.so.12 loads. Found by ServiceLoader; touches no native code until {@link #probe()}.
 */
public final class CudaBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public ProbeResult probe() {
        return CudaProbe.get().result();
    }

    @Override
    public int priority(DeviceInfo device) {
        return device.type() == DeviceType.GPU ? 300 : 0;
    }

    @Override
    public ComputeEngine open(DeviceInfo device) {
        CudaProbe.State state = CudaProbe.get();
        if (!state.result().isAvailable()) {
            throw new BackendUnavailableException("cuda", state.result().reason());
        }
        return new CudaEngine(state, device, CudaEngine.gemmMode());
    }
}
