#!/usr/bin/env bash
# Builds the JMH uber-jar and runs the jitmem benchmarks; given the LLVM anchor benchmark directory, also builds
# and runs the anchor's same mapper configurations and prints the ratios jitmem / LLVM.
#
#   bench/run.sh                              # every benchmark, default settings
#   bench/run.sh --anchor DIR                 # plus the LLVM anchor side by side (or LLVM_ANCHOR_DIR=DIR)
#   bench/run.sh --quick --anchor DIR         # short settings, for a first look
#   SIZES=4KiB bench/run.sh -- -prof gc        # anything after -- goes to JMH as is
#
# Environment (defaults in brackets):
#   LLVM_ANCHOR_DIR      anchor directory with build.sh and bench.cpp                  [none: jitmem only]
#   BACKENDS             jitmem backends, comma-separated jitmem.mapper.type names      [inprocess]
#   SIZES                content sizes                                    [4KiB,64KiB,1MiB,16MiB]
#   BENCHMARKS           JMH include regex                                              [MapperCycleBenchmark]
#   JMH_FORKS / JMH_WARMUP_ITERATIONS / JMH_ITERATIONS / JMH_ITERATION_TIME                  [2 / 5 / 5 / 1s]
#   ANCHOR_REPS / ANCHOR_REP_SECONDS     anchor repetitions and seconds per repetition            [5 / 0.5]
#   ANCHOR_DISPATCHER    the anchor's controller dispatcher for remote mappers                     [dynamic]
#   RESULTS_DIR          where results go                                       [bench/target/results/<UTC time>]
#
# Settings for a noisy 2-core machine: one size at a time, the anchor right before jitmem, so that both see the
# same neighbours; one benchmark thread, forks so that one unlucky JVM does not decide the
# result, sample mode so that medians compare with the anchor's medians, the serial collector so that no
# concurrent GC thread competes for the second core, and a fixed heap.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(dirname "$BENCH_DIR")
ANCHOR_DIR=${LLVM_ANCHOR_DIR:-}
QUICK=false
JMH_EXTRA=()

while [ $# -gt 0 ]; do
  case "$1" in
    --anchor) ANCHOR_DIR=${2:?--anchor needs a directory}; shift 2 ;;
    --anchor=*) ANCHOR_DIR=${1#--anchor=}; shift ;;
    --quick) QUICK=true; shift ;;
    --) shift; JMH_EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

BACKENDS=${BACKENDS:-inprocess}
SIZES=${SIZES:-4KiB,64KiB,1MiB,16MiB}
BENCHMARKS=${BENCHMARKS:-MapperCycleBenchmark}
if $QUICK; then
  JMH_FORKS=${JMH_FORKS:-1}; JMH_WARMUP_ITERATIONS=${JMH_WARMUP_ITERATIONS:-2}
  JMH_ITERATIONS=${JMH_ITERATIONS:-3}; JMH_ITERATION_TIME=${JMH_ITERATION_TIME:-500ms}
  ANCHOR_REPS=${ANCHOR_REPS:-3}; ANCHOR_REP_SECONDS=${ANCHOR_REP_SECONDS:-0.5}
else
  JMH_FORKS=${JMH_FORKS:-2}; JMH_WARMUP_ITERATIONS=${JMH_WARMUP_ITERATIONS:-5}
  JMH_ITERATIONS=${JMH_ITERATIONS:-5}; JMH_ITERATION_TIME=${JMH_ITERATION_TIME:-1s}
  ANCHOR_REPS=${ANCHOR_REPS:-5}; ANCHOR_REP_SECONDS=${ANCHOR_REP_SECONDS:-0.5}
fi
ANCHOR_DISPATCHER=${ANCHOR_DISPATCHER:-dynamic}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$RESULTS_DIR"

echo "== building the benchmark jar"
(cd "$ROOT_DIR" && mvn -B -ntp -Pbenchmarks -pl bench -am -DskipTests package)
JAR=$BENCH_DIR/target/jitmem-benchmarks.jar

# The anchor's mapper names and size arguments for the same configurations.
anchor_mappers() {
  local names=() backend
  for backend in ${BACKENDS//,/ }; do
    case "$backend" in
      inprocess) names+=(inproc) ;;
      posix-shm) names+=(shm) ;;
      *) echo "run.sh: no anchor counterpart for backend $backend" >&2 ;;
    esac
  done
  local IFS=,; echo "${names[*]}"
}
anchor_sizes() {
  local sizes=() size
  for size in ${1//,/ }; do
    case "$size" in
      *KiB) sizes+=("${size%KiB}k") ;;
      *MiB) sizes+=("${size%MiB}m") ;;
      *) sizes+=("$size") ;;
    esac
  done
  local IFS=,; echo "${sizes[*]}"
}

ANCHOR_BIN=
if [ -n "$ANCHOR_DIR" ]; then
  [ -f "$ANCHOR_DIR/build.sh" ] || { echo "run.sh: not an anchor directory (no build.sh): $ANCHOR_DIR" >&2; exit 2; }
  LLVM_CONFIG=/usr/lib/llvm-19/bin/llvm-config
  if [ ! -x "$LLVM_CONFIG" ]; then
    echo "== installing llvm-19-dev"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y llvm-19-dev
  fi
  # Built in a scratch copy: the anchor directory itself may be read-only and stays untouched.
  ANCHOR_BUILD=$BENCH_DIR/target/llvm-anchor
  rm -rf "$ANCHOR_BUILD"
  cp -R "$ANCHOR_DIR" "$ANCHOR_BUILD"
  chmod -R u+w "$ANCHOR_BUILD"
  rm -f "$ANCHOR_BUILD/llvm-mapper-bench"
  echo "== building the LLVM anchor"
  LLVM_CONFIG=$LLVM_CONFIG "$ANCHOR_BUILD/build.sh"
  ANCHOR_BIN=$ANCHOR_BUILD/llvm-mapper-bench
fi
MAPPERS=
[ -z "$ANCHOR_BIN" ] || MAPPERS=$(anchor_mappers)

{
  echo "host: $(uname -r), $(nproc) cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RESULTS_DIR/env.txt"

# One size at a time, the anchor and then jitmem, so that both see the same noise on a shared machine.
for SIZE in ${SIZES//,/ }; do
  if [ -n "$ANCHOR_BIN" ] && [ -n "$MAPPERS" ]; then
    echo "== LLVM anchor: mappers=$MAPPERS size=$SIZE"
    "$ANCHOR_BIN" --mode=mapper --mappers="$MAPPERS" --sizes="$(anchor_sizes "$SIZE")" --prot=rw \
      --dispatcher="$ANCHOR_DISPATCHER" --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS" \
      | tee -a "$RESULTS_DIR/anchor.txt"
  fi
  echo "== jitmem: backends=$BACKENDS size=$SIZE"
  java -jar "$JAR" "$BENCHMARKS" \
    -p backend="$BACKENDS" -p size="$SIZE" \
    -f "$JMH_FORKS" -t 1 -wi "$JMH_WARMUP_ITERATIONS" -w "$JMH_ITERATION_TIME" \
    -i "$JMH_ITERATIONS" -r "$JMH_ITERATION_TIME" \
    -jvmArgsAppend "-XX:+UseSerialGC -Xms1g -Xmx1g" \
    -rf json -rff "$RESULTS_DIR/jmh-$SIZE.json" "${JMH_EXTRA[@]}" | tee -a "$RESULTS_DIR/jmh.txt"
done

echo
python3 "$BENCH_DIR/ratios.py" "$RESULTS_DIR" | tee "$RESULTS_DIR/summary.md"
echo
echo "results in $RESULTS_DIR"
