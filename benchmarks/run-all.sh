#!/usr/bin/env bash
# Runs the benchmark suites the way docs/benchmarks.md was measured, then writes the report.
#   benchmarks/run-all.sh [OUTDIR]      (default benchmarks/target/full-report)
# Needs: ./mvnw -q -DskipTests package first. Takes about 30-40 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/benchmarks/target/full-report}
jar=$root/benchmarks/target/benchmarks.jar
mkdir -p "$out"
[ -f "$jar" ] || { echo "build first: ./mvnw -q -DskipTests package" >&2; exit 2; }
# Forks inherit this: POCL's LLVM replaces the JVM's SIGSEGV handler when the OpenCL backend is
# probed, and forks then die at random safepoints (exit code 139); see docs/backends.md.
settings=$(java -XshowSettings:properties -version 2>&1)
java_home=$(printf '%s\n' "$settings" | sed -n 's/^ *java.home = //p')
if [ -f "$java_home/lib/libjsig.so" ]; then
  export LD_PRELOAD="$java_home/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
fi
# JDK 22 and later warn in every fork when JOCL, JCuda or OpenBLAS load their native libraries
# unless native access is granted; the forks inherit the host JVM's options.
feature=$(printf '%s\n' "$settings" | sed -n 's/^ *java.specification.version = //p')
jvm=()
case "$feature" in
  1[0-9]|2[01]|"") ;;
  *) jvm=(--enable-native-access=ALL-UNNAMED) ;;
esac
common=(-f 1 -wi 3 -w 1s -i 5 -r 1s -foe false)
java "${jvm[@]}" -jar "$jar" "${common[@]}" -rf json -rff "$out/gemm.json" '\.GemmBenchmark\.'
java "${jvm[@]}" -jar "$jar" "${common[@]}" -rf json -rff "$out/mlp.json" '\.MlpGemmBenchmark\.'
java "${jvm[@]}" -jar "$jar" "${common[@]}" -rf json -rff "$out/ops.json" '\.(OpBenchmark|MemoryBandwidthBenchmark)\.'
java "${jvm[@]}" -jar "$jar" "${common[@]}" -rf json -rff "$out/train.json" '\.TrainStepBenchmark\.'
java -cp "$jar" dev.kiln.bench.Report "$out"/gemm.json "$out"/mlp.json "$out"/ops.json "$out"/train.json "$out"
