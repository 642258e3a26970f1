#!/usr/bin/env bash
# Kiln GPU check. Runs on a Linux x86-64 host with an NVIDIA GPU and driver; needs no Java, no
# Maven and no network (everything is in this folder).
#
#   ./run.sh OUTDIR
#
# Writes into OUTDIR: env.txt, cuda-probe.json, junit/ (JUnit XML of the CUDA test suite),
# info.txt, verify-cuda.json, verify-opencl.json, verify-opencl-portable.json, bench-gemm.json,
# bench-gemm-opencl.json, train-cuda-b{64,512}-{sgd,adam}.json/.log, torch-gemm.json and
# torch-train.json (PyTorch on the same GPU, when python3 has
# torch with CUDA), a .log per step, and summary.txt / summary.json. Exit status: 0 all passed,
# 3 CUDA unavailable, 1 a step failed. Environment: KILN_TRAIN_EPOCHS (10), KILN_TRAIN_ARGS
# (extra kiln train options), KILN_STEP_TIMEOUT (seconds per step, 1800), KILN_PYTHON (python3),
# KILN_TORCH=0 (skip the PyTorch anchors), KILN_JAVA_OPTS (extra JVM options, e.g. -Dkiln.cuda.gemm=...).
set -u

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
mkdir -p "$out/tmp" "$out/junit"

java=("$here/runtime/bin/java")
step_timeout=${KILN_STEP_TIMEOUT:-1800}
train_epochs=${KILN_TRAIN_EPOCHS:-10}
train_args=${KILN_TRAIN_ARGS:-}

# Explicit class path (the JUnit console does not expand lib/*).
cp=""
for j in "$here"/lib/*.jar "$here"/tests/*.jar; do
  cp="${cp:+$cp:}$j"
done
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$here/runtime/release")
jopts=(--add-modules jdk.incubator.vector "-Dkiln.cuda.natives=$here/natives" "-Djava.io.tmpdir=$out/tmp")
# shellcheck disable=SC2206
jopts+=(${KILN_JAVA_OPTS:-})
if [ "${feature:-17}" -ge 22 ]; then
  jopts+=(--enable-native-access=ALL-UNNAMED)
fi
# The bundled OpenCL ICD loader (libOpenCL.so.1) comes first; libcuda.so.1 is the host's own.
export LD_LIBRARY_PATH="$here/natives${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export POCL_CACHE_DIR="$out/tmp/pocl"
# A driver that embeds LLVM (POCL does) can replace the JVM's SIGSEGV handler when an OpenCL probe
# loads it; the JVM then dies at a later safepoint. The runtime's signal-chaining library keeps
# the JVM's handlers first (docs/backends.md); it is preloaded into the JVMs only.
if [ -f "$here/runtime/lib/libjsig.so" ]; then
  java=(env "LD_PRELOAD=$here/runtime/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}" "$here/runtime/bin/java")
fi

names=()
states=()
notes=()
record() {  # name, state, note
  names+=("$1"); states+=("$2"); notes+=("$3")
  printf '  %-16s %-14s %s\n' "$1" "$2" "$3"
}
with_timeout() {
  if command -v timeout >/dev/null 2>&1; then
    timeout "$step_timeout" "$@"
  else
    "$@"
  fi
}
# Runs a kiln command; stdout to $2, stderr to $3; records "not available in this build" for an unknown command.
kiln_step() {
  local name=$1 stdout=$2 stderr=$3
  shift 3
  with_timeout "${java[@]}" "${jopts[@]}" -cp "$cp" dev.kiln.cli.Main "$@" >"$stdout" 2>"$stderr"
  local rc=$?
  if grep -q "unknown command" "$stderr"; then
    record "$name" "n/a" "kiln $1: not available in this build"
    echo "{\"status\":\"not available in this build\",\"command\":\"kiln $*\"}" > "$stdout"
  elif [ $rc -eq 0 ]; then
    record "$name" "passed" "kiln $*"
  elif [ $rc -eq 124 ]; then
    record "$name" "timeout" "kiln $* (after ${step_timeout}s; see $(basename "$stderr"))"
  else
    record "$name" "FAILED" "kiln $* exited $rc: $(tail -n1 "$stderr" | cut -c1-160)"
  fi
}

echo "Kiln GPU check -> $out"
echo

# ---------------------------------------------------------------- 1. environment
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -a)"
  [ -f /etc/os-release ] && sed -n 's/^PRETTY_NAME=//p' /etc/os-release
  echo "--- bundle"
  cat "$here/MANIFEST.txt" 2>/dev/null
  echo "--- runtime"
  "${java[@]}" -version 2>&1
  echo "--- nvidia-smi"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi 2>&1
  else
    echo "nvidia-smi not found"
  fi
  echo "--- libcuda.so.1"
  (ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libcublas\.so|libnvrtc\.so|libnvidia-opencl' ) || echo "(not in ldconfig cache)"
  echo "--- OpenCL vendors"
  ls -l /etc/OpenCL/vendors 2>&1
} > "$out/env.txt" 2>&1
echo "Steps:"
record env "done" "env.txt"

# ---------------------------------------------------------------- 2. the CUDA probe
"${java[@]}" "${jopts[@]}" -cp "$cp" dev.kiln.cuda.ProbeMain "$out/cuda-probe.json" >"$out/cuda-probe.log" 2>&1
probe_rc=$?
cuda_ok=false
cuda_reason=""
if [ $probe_rc -ne 0 ] && grep -q "too old for these kernels" "$out/cuda-probe.log"; then
  # The fatbin is from a newer nvcc than the driver: try it anyway, and record whether it loads.
  record cuda-probe "driver-old" "$(grep -m1 UNAVAILABLE "$out/cuda-probe.log" | cut -c1-160)"
  jopts+=(-Dkiln.cuda.ignoreDriverVersion=true)
  mv "$out/cuda-probe.log" "$out/cuda-probe-strict.log"
  mv "$out/cuda-probe.json" "$out/cuda-probe-strict.json"
  "${java[@]}" "${jopts[@]}" -cp "$cp" dev.kiln.cuda.ProbeMain "$out/cuda-probe.json" >"$out/cuda-probe.log" 2>&1
  probe_rc=$?
fi
if [ $probe_rc -eq 0 ]; then
  cuda_ok=true
  record cuda-probe "available" "$(head -n1 "$out/cuda-probe.log" | cut -c1-160)"
else
  cuda_reason=$(grep -m1 'UNAVAILABLE' "$out/cuda-probe.log" | sed 's/^cuda: UNAVAILABLE: //')
  [ -n "$cuda_reason" ] || cuda_reason="probe exited $probe_rc: $(tail -n1 "$out/cuda-probe.log")"
  record cuda-probe "UNAVAILABLE" "$cuda_reason"
  echo
  echo "  ******************************************************************"
  echo "  CUDA IS NOT AVAILABLE ON THIS HOST: $cuda_reason"
  echo "  The CUDA steps below record this failure; benchmark and training are skipped."
  echo "  ******************************************************************"
  echo
fi

# ---------------------------------------------------------------- 3. CUDA test suite (JUnit XML)
# kiln.require.backends=cuda: an unavailable CUDA fails the suite instead of skipping it.
with_timeout "${java[@]}" "${jopts[@]}" -Dkiln.require.backends=cuda -Dkiln.leaks=paranoid \
  -jar "$here"/junit/junit-platform-console-standalone-*.jar execute \
  --disable-banner --details=tree --class-path "$cp" \
  --scan-class-path "$here/tests/kiln-cuda-tests.jar" --include-classname '^dev\.kiln\.cuda\..*Test$' \
  --reports-dir "$out/junit" >"$out/junit.log" 2>&1
junit_rc=$?
xml=$(ls "$out"/junit/TEST-junit-jupiter.xml 2>/dev/null | head -n1)
counts="no XML report"
if [ -n "$xml" ]; then
  attr() { sed -n "s/.*<testsuite [^>]*\b$1=\"\([0-9]*\)\".*/\1/p" "$xml" | head -n1; }
  counts="tests $(attr tests), failures $(attr failures), errors $(attr errors), skipped $(attr skipped)"
fi
if [ $junit_rc -eq 0 ]; then
  record junit-cuda "passed" "$counts (junit/)"
else
  record junit-cuda "FAILED" "$counts, exit $junit_rc (junit/, junit.log)"
fi

# OpenCL: the host's NVIDIA OpenCL driver, through the bundled ICD loader. Containers often have
# libnvidia-opencl.so.1 but no /etc/OpenCL/vendors/nvidia.icd: then write one in OUTDIR.
ocl=""
if ldconfig -p 2>/dev/null | grep -q 'libnvidia-opencl\.so\.1' && ! grep -qs 'libnvidia-opencl' /etc/OpenCL/vendors/*.icd; then
  # NVIDIA's OpenCL library is there but not registered (containers often lack its ICD file):
  # register it, beside whatever else is, in a vendors folder of our own.
  mkdir -p "$out/tmp/icd"
  cp /etc/OpenCL/vendors/*.icd "$out/tmp/icd/" 2>/dev/null
  echo "libnvidia-opencl.so.1" > "$out/tmp/icd/nvidia.icd"
  export OCL_ICD_VENDORS="$out/tmp/icd"
  ocl="$(cd "$out/tmp/icd" && ls ./*.icd | tr '\n' ' ')(nvidia.icd written to tmp/icd)"
elif ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1; then
  ocl="/etc/OpenCL/vendors: $(cd /etc/OpenCL/vendors && ls ./*.icd | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- 4. kiln info / verify
kiln_step kiln-info "$out/info.txt" "$out/info.log" info
kiln_step verify-cuda "$out/verify-cuda.json" "$out/verify-cuda.log" verify --backend cuda --json

if [ -n "$ocl" ]; then
  echo "OpenCL driver: $ocl" >> "$out/env.txt"
  kiln_step verify-opencl "$out/verify-opencl.json" "$out/verify-opencl.log" verify --backend opencl --json
  # The portable GEMM kernels on that device too (the default above is CLBlast where it loads).
  saved=("${jopts[@]}")
  jopts+=(-Dkiln.opencl.gemm=portable)
  kiln_step verify-opencl-portable "$out/verify-opencl-portable.json" "$out/verify-opencl-portable.log" \
    verify --backend opencl --json
  jopts=("${saved[@]}")
  with_timeout "${java[@]}" "${jopts[@]}" -cp "$cp" dev.kiln.opencl.OpenClGemmBench "$out/bench-gemm-opencl.json" 10 \
    >"$out/bench-gemm-opencl.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    record bench-gemm-opencl "passed" "bench-gemm-opencl.json"
  else
    record bench-gemm-opencl "FAILED" "exit $rc: $(tail -n1 "$out/bench-gemm-opencl.log" | cut -c1-160)"
  fi
else
  record verify-opencl "skipped" "no OpenCL driver (no ICD file, no libnvidia-opencl.so.1)"
  echo '{"status":"skipped","reason":"no OpenCL driver on this host"}' > "$out/verify-opencl.json"
fi

# ---------------------------------------------------------------- 5. GEMM benchmark, training
if $cuda_ok; then
  with_timeout "${java[@]}" "${jopts[@]}" -cp "$cp" dev.kiln.cuda.GemmBench "$out/bench-gemm.json" 10 \
    >"$out/bench-gemm.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    record bench-gemm "passed" "bench-gemm.json"
  else
    record bench-gemm "FAILED" "exit $rc: $(tail -n1 "$out/bench-gemm.log" | cut -c1-160)"
  fi
  # The MNIST MLP on the bundled data: batch 64 and 512, SGD with momentum and Adam, the same runs
  # as torch_anchor.py's (epoch time: the median of epochs 3 and later).
  for bs in 64 512; do
    for opt in sgd adam; do
      if [ "$opt" = sgd ]; then oargs="--optimizer sgd --lr 0.01 --momentum 0.9"; else oargs="--optimizer adam --lr 0.001"; fi
      # shellcheck disable=SC2086
      kiln_step "train-b$bs-$opt" "$out/train-cuda-b$bs-$opt.log" "$out/train-cuda-b$bs-$opt.err.log" \
        train --backend cuda --epochs "$train_epochs" --batch-size "$bs" $oargs \
        --metrics-json "$out/train-cuda-b$bs-$opt.json" $train_args
    done
  done
else
  record bench-gemm "skipped" "CUDA unavailable"
  record train-cuda "skipped" "CUDA unavailable"
  echo "{\"available\":false,\"reason\":\"$(echo "$cuda_reason" | sed 's/\\/\\\\/g; s/"/\\"/g')\"}" > "$out/bench-gemm.json"
  echo "skipped: CUDA unavailable: $cuda_reason" > "$out/train-cuda.log"
fi

# ---------------------------------------------------------------- 6. PyTorch anchors on this GPU
# torch.mm (fp32, TF32 off) for the GEMM shapes, and the same MLP in eager PyTorch with its data
# on the GPU, when the host's python3 has torch with CUDA (the bundle cannot carry it).
py=${KILN_PYTHON:-python3}
if [ "${KILN_TORCH:-1}" = 0 ]; then
  record torch-anchors "skipped" "KILN_TORCH=0"
elif command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    >/dev/null 2>&1; then
  for what in gemm train; do
    with_timeout "$py" "$here/torch_anchor.py" "$what" "$out/torch-$what.json" >"$out/torch-$what.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      record "torch-$what" "passed" "torch-$what.json ($("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null))"
    else
      record "torch-$what" "FAILED" "exit $rc: $(tail -n1 "$out/torch-$what.log" | cut -c1-160)"
    fi
  done
else
  record torch-anchors "skipped" "no python3 with torch and CUDA on this host (KILN_PYTHON names another)"
fi

# ---------------------------------------------------------------- summary
failed=0
{
  echo "Kiln GPU check: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  if $cuda_ok; then
    echo "CUDA: $(head -n1 "$out/cuda-probe.log")"
  else
    echo "CUDA: NOT AVAILABLE: $cuda_reason"
  fi
  for i in "${!names[@]}"; do
    printf '%-16s %-14s %s\n' "${names[$i]}" "${states[$i]}" "${notes[$i]}"
    case "${states[$i]}" in FAILED|timeout) failed=1 ;; esac
  done
} > "$out/summary.txt"
{
  echo "{"
  echo "  \"cuda_available\": $cuda_ok,"
  echo "  \"steps\": ["
  for i in "${!names[@]}"; do
    sep=","; [ "$i" -eq $((${#names[@]} - 1)) ] && sep=""
    note=$(echo "${notes[$i]}" | sed 's/\\/\\\\/g; s/"/\\"/g')
    echo "    {\"step\": \"${names[$i]}\", \"state\": \"${states[$i]}\", \"note\": \"$note\"}$sep"
  done
  echo "  ]"
  echo "}"
} > "$out/summary.json"

echo
echo "Summary ($out/summary.txt):"
cat "$out/summary.txt"
if ! $cuda_ok; then
  echo
  echo "RESULT: CUDA is missing on this host ($cuda_reason); nothing ran on a GPU."
  exit 3
fi
exit $failed
