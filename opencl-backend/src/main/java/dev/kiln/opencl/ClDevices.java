package dev.kiln.opencl;

import dev.kiln.core.spi.DeviceInfo;
import dev.kiln.core.spi.DeviceType;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.jocl.CL.*;

/**
 * Enumerates every OpenCL platform and device. The global device index (across platforms, in
 * the ICD loader's order) is what {@code opencl:N} names. Touches JOCL: only call after
 * {@link JoclNatives#loadOpenCl()}.
 */
final class ClDevices {

    /** One device with its native handles. */
    record Found(cl_platform_id platform, cl_device_id device, DeviceInfo info, String platformName) {
    }

    /** What enumeration found: the devices, the platform names, and why a platform had none. */
    record Scan(List<Found> devices, List<String> platforms, List<String> problems) {
    }

    private ClDevices() {
    }

    /**
     * All platforms and devices. A missing ICD platform surfaces as {@code CL_PLATFORM_NOT_FOUND_KHR}
     * (from the ocl-icd loader) or as zero platforms; both give an empty platform list.
     */
    static Scan scan() {
        CL.setExceptionsEnabled(true);
        int[] count = new int[1];
        try {
            clGetPlatformIDs(0, null, count);
        } catch (CLException e) {
            if (e.getStatus() == CL_PLATFORM_NOT_FOUND_KHR) {
                return new Scan(List.of(), List.of(), List.of());
            }
            throw e;
        }
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        if (count[0] > 0) {
            clGetPlatformIDs(count[0], platforms, null);
        }
        List<Found> out = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            String pname = platformString(p, CL_PLATFORM_NAME);
            names.add(pname);
            int[] nd = new int[1];
            try {
                clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, nd);
            } catch (CLException e) {
                problems.add(pname + ": " + CL.stringFor_errorCode(e.getStatus()));
                continue;
            }
            cl_device_id[] devs = new cl_device_id[nd[0]];
            clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd[0], devs, null);
            for (cl_device_id d : devs) {
                out.add(new Found(p, d, describe(out.size(), pname, p, d), pname));
            }
        }
        return new Scan(out, names, problems);
    }

    private static DeviceInfo describe(int index, String platformName, cl_platform_id p, cl_device_id d) {
        long type = deviceLong(d, CL_DEVICE_TYPE);
        DeviceType dt = (type & CL_DEVICE_TYPE_GPU) != 0 ? DeviceType.GPU
                : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? DeviceType.ACCELERATOR
                : (type & CL_DEVICE_TYPE_CPU) != 0 ? DeviceType.CPU : DeviceType.OTHER;
        long mem = deviceLong(d, CL_DEVICE_GLOBAL_MEM_SIZE);
        Map<String, String> props = new LinkedHashMap<>();
        props.put("platform", platformName);
        props.put("platform version", platformString(p, CL_PLATFORM_VERSION));
        props.put("opencl", deviceString(d, CL_DEVICE_VERSION));
        props.put("driver", deviceString(d, CL_DRIVER_VERSION));
        props.put("compute units", Integer.toString(deviceInt(d, CL_DEVICE_MAX_COMPUTE_UNITS)));
        props.put("max work-group size", Long.toString(deviceSizeT(d, CL_DEVICE_MAX_WORK_GROUP_SIZE)));
        props.put("global memory", (mem >> 20) + " MiB");
        props.put("local memory", (deviceLong(d, CL_DEVICE_LOCAL_MEM_SIZE) >> 10) + " KiB");
        return new DeviceInfo("opencl", index, deviceString(d, CL_DEVICE_NAME), dt, mem, props);
    }

    static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        clGetPlatformInfo(p, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetPlatformInfo(p, param, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        clGetDeviceInfo(d, param, 0, null, size);
        byte[] buf = new byte[(int) size[0]];
        clGetDeviceInfo(d, param, buf.length, Pointer.to(buf), null);
        return cString(buf);
    }

    static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null);
        return v[0];
    }

    static int deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_uint, Pointer.to(v), null);
        return v[0];
    }

    static long deviceSizeT(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8).strip();
    }
}
