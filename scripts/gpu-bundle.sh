#!/usr/bin/env bash
# Builds target/gpu-bundle/ and target/gpu-bundle.tar.gz: everything needed to check Kiln on a
# Linux x86-64 GPU host that has an NVIDIA driver but no Java, no Maven and no network.
#
#   scripts/gpu-bundle.sh [--no-build] [--jdk DIR]
#
#   --no-build   take the jars already built (mvn -DskipTests package); by default they are built
#   --jdk DIR    the JDK whose jlink makes the runtime (default: the first that can: $KILN_BUNDLE_JDK,
#                $JAVA_HOME, the java on PATH, /usr/lib/jvm/*); it needs jmods/ or a jlink that
#                links from its run-time image (JDK 24+ builds with that enabled, like Temurin 25)
#
# The bundle holds: a jlink'd runtime, Kiln's jars and their dependencies (without the JCuda
# natives jars), the CUDA backend's test classes, JUnit Platform Console Standalone, the JCuda JNI
# libraries pre-extracted (not libJNvPTXCompiler, 24 MB and unused), the OpenCL ICD loader
# libOpenCL.so.1 from Debian's ocl-icd-libopencl1, and run.sh (see docs/gpu.md).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=true
jdk=${KILN_BUNDLE_JDK:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=false; shift ;;
    --jdk) jdk="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "gpu-bundle.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

junit_version=1.14.4
jcuda_version=12.6.0
modules=java.base,java.logging,java.management,jdk.unsupported,jdk.incubator.vector,java.xml,java.sql,jdk.jfr,jdk.zipfs
bundle="$root/target/gpu-bundle"
cache="$root/target/gpu-bundle-cache"
mvn_cmd=${MVN:-$root/mvnw}

log() { echo "[gpu-bundle] $*"; }

# Maven offline first (the usual state of a developer's ~/.m2), online once if something is missing.
mvn_run() {
  if ! "$mvn_cmd" -o -q "$@"; then
    log "offline Maven failed; retrying online"
    "$mvn_cmd" -q "$@"
  fi
}

# ---------------------------------------------------------------- the JDK for jlink
jdk_can_link() {
  local j=$1
  [ -x "$j/bin/jlink" ] || return 1
  [ -f "$j/jmods/java.base.jmod" ] && return 0
  "$j/bin/jlink" --help 2>&1 | grep -q "Linking from run-time image enabled"
}
find_jdk() {
  local c
  for c in "$jdk" "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -d "$c" ] || continue
    if jdk_can_link "$c"; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
jdk=$(find_jdk) || { echo "gpu-bundle.sh: no JDK whose jlink can link (needs jmods/, e.g. Debian's openjdk-17-jmods, or a JDK 24+ that links from its run-time image); pass --jdk DIR" >&2; exit 1; }
log "jlink from $jdk ($("$jdk/bin/java" -version 2>&1 | head -n1))"

# ---------------------------------------------------------------- build
rm -rf "$bundle" "$root/target/gpu-bundle.tar.gz"
mkdir -p "$bundle/lib" "$bundle/tests" "$bundle/junit" "$bundle/natives" "$cache"
deps_goal="dependency:copy-dependencies -DincludeScope=runtime -DexcludeGroupIds=dev.kiln,org.junit,org.opentest4j,org.apiguardian -DexcludeArtifactIds=jcuda-natives,jcublas-natives -DoutputDirectory=$bundle/lib"
if $build; then
  log "building the jars (mvn -DskipTests package)"
  # shellcheck disable=SC2086
  mvn_run -DskipTests package $deps_goal -pl cli,cuda-backend,testkit -am
else
  # Maven resolves sibling modules only within a lifecycle run: re-package what is already
  # compiled, compiling nothing (no javac, no tests, no nvcc).
  log "taking the built classes (mvn package without compiling)"
  # shellcheck disable=SC2086
  mvn_run -Dmaven.main.skip=true -Dmaven.test.skip=true -Dexec.skip=true package $deps_goal \
    -pl cli,cuda-backend,testkit -am
fi

# Kiln's own thin jars (the CLI's shaded kiln.jar would carry every native twice).
for m in core kernels cpu-backend opencl-backend cuda-backend testkit nn; do
  j=$(ls "$m"/target/kiln-*.jar 2>/dev/null | grep -v -E -- '-(sources|javadoc|tests)\.jar$' | head -n1 || true)
  [ -n "$j" ] || { echo "gpu-bundle.sh: no jar in $m/target; build first (or drop --no-build)" >&2; exit 1; }
  cp "$j" "$bundle/lib/"
done
# cli/target/kiln.jar is shaded (and original-kiln.jar is too after a second package run): jar
# the CLI's own classes instead.
[ -d cli/target/classes ] || { echo "gpu-bundle.sh: cli/target/classes missing" >&2; exit 1; }
"$jdk/bin/jar" cf "$bundle/lib/kiln-cli.jar" -C cli/target/classes .
if ! "$jdk/bin/jar" tf "$bundle"/lib/kiln-cuda-*.jar | grep -q 'dev/kiln/cuda/kernels.fatbin'; then
  log "WARNING: the kiln-cuda jar has no kernels.fatbin (built without nvcc): the GPU host will need libnvrtc.so.12"
fi

# The CUDA backend's tests, as a jar the JUnit console scans.
[ -d cuda-backend/target/test-classes ] || { echo "gpu-bundle.sh: cuda-backend/target/test-classes missing" >&2; exit 1; }
"$jdk/bin/jar" cf "$bundle/tests/kiln-cuda-tests.jar" -C cuda-backend/target/test-classes .
# The OpenCL backend's test classes, for OpenClGemmBench (CLBlast and the portable kernels on the host's OpenCL GPU).
[ -d opencl-backend/target/test-classes ] || { echo "gpu-bundle.sh: opencl-backend/target/test-classes missing" >&2; exit 1; }
"$jdk/bin/jar" cf "$bundle/tests/kiln-opencl-tests.jar" -C opencl-backend/target/test-classes .

# ---------------------------------------------------------------- JUnit console
mvn_run dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version \
  -DoutputDirectory="$bundle/junit"

# ---------------------------------------------------------------- JCuda natives, pre-extracted
m2=${MAVEN_REPO:-$HOME/.m2/repository}
extract() {  # jar, pattern
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && "$jdk/bin/jar" xf "$1" lib)
  # shellcheck disable=SC2086
  cp $tmp/lib/$2 "$bundle/natives/"
  rm -rf "$tmp"
}
natives_jar="$m2/org/jcuda/jcuda-natives/$jcuda_version/jcuda-natives-$jcuda_version-linux-x86_64.jar"
blas_jar="$m2/org/jcuda/jcublas-natives/$jcuda_version/jcublas-natives-$jcuda_version-linux-x86_64.jar"
[ -f "$natives_jar" ] && [ -f "$blas_jar" ] || { echo "gpu-bundle.sh: JCuda natives jars not in $m2" >&2; exit 1; }
extract "$natives_jar" "libJCudaDriver-*.so"
extract "$natives_jar" "libJNvrtc-*.so"
extract "$blas_jar" "libJCublas2-*.so"

# ---------------------------------------------------------------- OpenCL ICD loader
if ! ls "$cache"/ocl-icd-libopencl1_*_amd64.deb >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (cd "$cache" && apt-get download ocl-icd-libopencl1:amd64 2>/dev/null) || log "WARNING: apt-get download ocl-icd-libopencl1 failed"
  fi
fi
deb=$(ls "$cache"/ocl-icd-libopencl1_*_amd64.deb 2>/dev/null | head -n1 || true)
if [ -n "$deb" ]; then
  rm -rf "$cache/ocl-icd" && dpkg -x "$deb" "$cache/ocl-icd"
  so=$(ls "$cache"/ocl-icd/usr/lib/x86_64-linux-gnu/libOpenCL.so.1.* | head -n1)
  cp "$so" "$bundle/natives/libOpenCL.so.1"
  ln -s libOpenCL.so.1 "$bundle/natives/libOpenCL.so"
  echo "$(basename "$deb")" > "$bundle/natives/OPENCL-ICD-SOURCE"
else
  log "WARNING: no ocl-icd-libopencl1 .deb (needs apt-get); the bundle relies on the host's libOpenCL.so.1"
fi

# ---------------------------------------------------------------- runtime
log "jlink: $modules"
# --compress=0 (JDK 21+ spells it zip-0) on purpose: gzip over the whole tarball compresses the
# modules image better than jlink's per-resource zip (measured with JDK 17: 18.6 MiB against
# 22.7 MiB for the runtime), and the unpacked runtime starts faster.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-0 --output "$bundle/runtime" >/dev/null 2>&1 \
|| { rm -rf "$bundle/runtime"; "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages \
  --no-header-files --compress=0 --output "$bundle/runtime"; }
# libjvm.so ships with its full symbol table (5 MB); the dynamic symbols it needs stay.
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$bundle/runtime/lib/server/libjvm.so" || log "WARNING: strip failed; keeping libjvm.so as is"
fi
"$bundle/runtime/bin/java" -version >/dev/null 2>&1 || { echo "gpu-bundle.sh: the linked runtime does not start" >&2; exit 1; }

# ---------------------------------------------------------------- run.sh and facts
cp "$root/scripts/gpu-bundle/run.sh" "$root/scripts/gpu-bundle/torch_anchor.py" "$bundle/"
chmod +x "$bundle/run.sh"
{
  echo "Kiln GPU bundle"
  echo "built:   $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  echo "commit:  $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "runtime: $(sed -n 's/^JAVA_VERSION=//p' "$bundle/runtime/release" | tr -d '"') (jlink of $jdk)"
  echo "fatbin:  $("$jdk/bin/jar" tf "$bundle"/lib/kiln-cuda-*.jar | grep -c kernels.fatbin) (nvcc: $(command -v nvcc >/dev/null && nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p' || echo none))"
  echo "Run: ./run.sh OUTDIR   (see docs/gpu.md in the Kiln sources)"
} > "$bundle/MANIFEST.txt"

tar -C "$root/target" -czf "$root/target/gpu-bundle.tar.gz" gpu-bundle
size=$(stat -c %s "$root/target/gpu-bundle.tar.gz")
log "folder:  $bundle ($(du -sh "$bundle" | cut -f1))"
log "tarball: $root/target/gpu-bundle.tar.gz ($((size / 1024 / 1024)) MiB, $size bytes)"
if [ "$size" -gt $((40 * 1024 * 1024)) ]; then
  log "WARNING: the tarball is over 40 MiB"
fi
