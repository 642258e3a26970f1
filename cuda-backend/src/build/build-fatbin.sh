#!/usr/bin/env bash
# Compiles Kiln's shared kernels (kiln-kernels + cuda_prelude.h) with nvcc into one fatbin:
# SASS for sm_75 sm_80 sm_86 sm_89 sm_90 sm_100 sm_120, plus PTX for compute_75 so that any newer
# GPU can JIT it. Run by Maven (exec-maven-plugin, generate-resources) with:
#   build-fatbin.sh --java JAVA --classpath CP --work DIR --out DIR [--classes DIR] --require-nvcc true|false
# Without nvcc the build goes on with a WARNING and no fatbin (the backend then needs NVRTC at run
# time); with --require-nvcc true (mvn -Pcuda) a missing nvcc fails the build.
# Output: OUT/dev/kiln/cuda/kernels.fatbin and kernels.properties (nvcc version, minimum driver,
# work-group size, architectures, source hash).
set -euo pipefail

java=java; cp=; work=; out=; classes=; require=false
while [ $# -gt 0 ]; do
  case "$1" in
    --java) java="$2"; shift 2 ;;
    --classpath) cp="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --classes) classes="$2"; shift 2 ;;
    --require-nvcc) require="$2"; shift 2 ;;
    *) echo "build-fatbin.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$work" ] && [ -n "$out" ] || { echo "build-fatbin.sh: --work and --out are required" >&2; exit 2; }
# Maven passes the literal '${kiln.cuda.requireNvcc}' when the property is unset.
[ "$require" = true ] || require=false

here=$(cd "$(dirname "$0")" && pwd)
dest="$out/dev/kiln/cuda"
wg=256
# The portable GEMM tile: 64x64 per block of (64/4)^2 = 256 threads. CudaEngine reads these back.
gemm_ts=64
gemm_wpt=4
archs="75 80 86 89 90 100 120"
ptx=75

fail_or_warn() {
  if [ "$require" = true ]; then
    echo "[ERROR] kiln-cuda: $1 (required under -Pcuda / -Dkiln.cuda.requireNvcc=true)" >&2
    exit 1
  fi
  echo "[WARNING] kiln-cuda: $1; NO FATBIN WAS MADE: the CUDA backend will need NVRTC (libnvrtc.so.12) at run time." >&2
  # Also from the classes folder: a fatbin left there by an earlier build would be stale.
  rm -f "$dest/kernels.fatbin" "$dest/kernels.properties"
  [ -z "$classes" ] || rm -f "$classes/dev/kiln/cuda/kernels.fatbin" "$classes/dev/kiln/cuda/kernels.properties"
  exit 0
}

nvcc_bin=$(command -v nvcc || true)
[ -n "$nvcc_bin" ] || fail_or_warn "nvcc is not on PATH"

mkdir -p "$work" "$dest"
cu="$work/kiln_kernels.cu"
set +e
"$java" -cp "$cp" "$here/GenerateCudaSource.java" "$cu"
rc=$?
set -e
[ $rc -eq 0 ] || fail_or_warn "could not generate the CUDA kernel source (GenerateCudaSource exit $rc)"

version=$("$nvcc_bin" --version | sed -n 's/.*release \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1.\2/p' | head -n1)
[ -n "$version" ] || fail_or_warn "cannot read the nvcc version"
major=${version%%.*}; minor=${version#*.}
# Code built by CUDA X.Y loads on any driver of the same major version X (minor-version
# compatibility), so the fatbin needs a driver reporting at least X.0.
min_driver=$((major * 1000))

flags=(-fatbin -O3 -std=c++17 "-DKILN_WG=$wg" "-DGEMM_TS=$gemm_ts" -DGEMM_TK=16 "-DGEMM_WPT=$gemm_wpt")
for a in $archs; do flags+=(-gencode "arch=compute_$a,code=sm_$a"); done
flags+=(-gencode "arch=compute_$ptx,code=compute_$ptx")

stamp_text="$(sha256sum "$cu" | cut -d' ' -f1) ${flags[*]} $version"
stamp="$work/kernels.stamp"
if [ -f "$dest/kernels.fatbin" ] && [ -f "$dest/kernels.properties" ] && [ -f "$stamp" ] \
   && [ "$(cat "$stamp")" = "$stamp_text" ]; then
  echo "[INFO] kiln-cuda: kernels.fatbin is up to date"
  exit 0
fi

echo "[INFO] kiln-cuda: nvcc $version: compiling the kernels for sm_${archs// /, sm_} + PTX compute_$ptx"
if ! "$nvcc_bin" "${flags[@]}" -o "$work/kernels.fatbin" "$cu" 2> "$work/nvcc.log"; then
  cat "$work/nvcc.log" >&2
  echo "[ERROR] kiln-cuda: nvcc failed on $cu (log: $work/nvcc.log)" >&2
  exit 1
fi
if [ -s "$work/nvcc.log" ]; then
  echo "[WARNING] kiln-cuda: nvcc printed warnings:" >&2
  cat "$work/nvcc.log" >&2
fi
cp "$work/kernels.fatbin" "$dest/kernels.fatbin"
cat > "$dest/kernels.properties" <<PROPS
# Written by cuda-backend/src/build/build-fatbin.sh; read by dev.kiln.cuda.KernelImage.
nvcc.version=$version
driver.min=$min_driver
kiln.wg=$wg
gemm.ts=$gemm_ts
gemm.wpt=$gemm_wpt
sass=$(for a in $archs; do printf 'sm_%s ' "$a"; done | sed 's/ $//')
ptx=compute_$ptx
source.sha256=$(sha256sum "$cu" | cut -d' ' -f1)
PROPS
echo "$stamp_text" > "$stamp"
echo "[INFO] kiln-cuda: wrote $dest/kernels.fatbin ($(stat -c %s "$dest/kernels.fatbin") bytes)"
