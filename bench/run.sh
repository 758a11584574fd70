#!/usr/bin/env bash
# Builds the JMH uber-jar and runs the jitmem benchmarks; given the LLVM anchor benchmark directory, also builds
# and runs the anchor's same configurations right before each and prints the ratios jitmem / LLVM.
#
#   bench/run.sh                              # every stage, default settings
#   bench/run.sh --anchor DIR                 # plus the LLVM anchor side by side (or LLVM_ANCHOR_DIR=DIR)
#   bench/run.sh --quick --anchor DIR         # short settings, for a first look
#   STAGES=cycle SIZES=4KiB bench/run.sh -- -prof gc   # anything after -- goes to JMH as is
#
# Stages, each jitmem benchmark beside its anchor mode:
#   rpc    ChannelRoundTripBenchmark (executor.ping, empty)    beside --mode=rpc, both controller dispatchers
#   cycle  MapperCycleBenchmark and InitializeBenchmark, one size at a time   beside --mode=mapper
#          (MapperCycleBenchmark with and without retained reservations: retainedBytes 16777216 and 0)
#   slab   SlabAllocationBenchmark, 10,000 allocations of 4KiB beside --mode=jitlink, map-ip-slab and map-shm-slab
#
# Environment (defaults in brackets):
#   LLVM_ANCHOR_DIR      anchor directory with build.sh and bench.cpp                  [none: jitmem only]
#   STAGES               stages to run, comma-separated                                 [rpc,cycle,slab]
#   BACKENDS             jitmem backends, comma-separated jitmem.mapper.type names      [inprocess,posix-shm]
#   SIZES                content sizes of the cycle stage                 [4KiB,64KiB,1MiB,16MiB]
#   JMH_FORKS / JMH_WARMUP_ITERATIONS / JMH_ITERATIONS / JMH_ITERATION_TIME                  [2 / 5 / 5 / 1s]
#   SLAB_WARMUP_ROUNDS / SLAB_ROUNDS     untimed and timed rounds of 10,000 allocations per fork      [3 / 5]
#   ANCHOR_REPS / ANCHOR_REP_SECONDS     anchor repetitions and seconds per repetition            [5 / 0.5]
#   ANCHOR_DISPATCHER    the anchor's controller dispatcher for remote mappers and managers        [dynamic]
#   RESULTS_DIR          where results go                                       [bench/target/results/<UTC time>]
#
# Settings for a noisy 2-core machine: the anchor right before jitmem, one configuration at a time, so that both
# see the same neighbours; one benchmark thread, forks so that one unlucky JVM does not decide the result, sample
# mode so that medians compare with the anchor's medians, the serial collector so that no concurrent GC thread
# competes for the second core, and a fixed heap.
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
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

STAGES=${STAGES:-rpc,cycle,slab}
BACKENDS=${BACKENDS:-inprocess,posix-shm}
SIZES=${SIZES:-4KiB,64KiB,1MiB,16MiB}
if $QUICK; then
  JMH_FORKS=${JMH_FORKS:-1}; JMH_WARMUP_ITERATIONS=${JMH_WARMUP_ITERATIONS:-2}
  JMH_ITERATIONS=${JMH_ITERATIONS:-3}; JMH_ITERATION_TIME=${JMH_ITERATION_TIME:-500ms}
  SLAB_WARMUP_ROUNDS=${SLAB_WARMUP_ROUNDS:-1}; SLAB_ROUNDS=${SLAB_ROUNDS:-3}
  ANCHOR_REPS=${ANCHOR_REPS:-3}; ANCHOR_REP_SECONDS=${ANCHOR_REP_SECONDS:-0.5}
else
  JMH_FORKS=${JMH_FORKS:-2}; JMH_WARMUP_ITERATIONS=${JMH_WARMUP_ITERATIONS:-5}
  JMH_ITERATIONS=${JMH_ITERATIONS:-5}; JMH_ITERATION_TIME=${JMH_ITERATION_TIME:-1s}
  SLAB_WARMUP_ROUNDS=${SLAB_WARMUP_ROUNDS:-3}; SLAB_ROUNDS=${SLAB_ROUNDS:-5}
  ANCHOR_REPS=${ANCHOR_REPS:-5}; ANCHOR_REP_SECONDS=${ANCHOR_REP_SECONDS:-0.5}
fi
ANCHOR_DISPATCHER=${ANCHOR_DISPATCHER:-dynamic}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$RESULTS_DIR"

echo "== building the benchmark jar"
(cd "$ROOT_DIR" && mvn -B -ntp -Pbenchmarks -pl bench -am -DskipTests package)
JAR=$BENCH_DIR/target/jitmem-benchmarks.jar

# The anchor's mapper (or manager) names and size arguments for the same configurations.
anchor_names() {
  local local_name=$1 remote_name=$2 names=() backend
  for backend in ${BACKENDS//,/ }; do
    case "$backend" in
      inprocess) names+=("$local_name") ;;
      posix-shm) names+=("$remote_name") ;;
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
MANAGERS=
if [ -n "$ANCHOR_BIN" ]; then
  MAPPERS=$(anchor_names inproc shm)
  MANAGERS=$(anchor_names map-ip-slab map-shm-slab)
fi

{
  echo "host: $(uname -r), $(nproc) cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "java: $(java -version 2>&1 | head -1)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RESULTS_DIR/env.txt"

JVM_ARGS="-XX:+UseSerialGC -Xms1g -Xmx1g"
anchor() {
  [ -n "$ANCHOR_BIN" ] || return 0
  echo "== LLVM anchor: $*"
  "$ANCHOR_BIN" "$@" | tee -a "$RESULTS_DIR/anchor.txt"
}
jmh() {
  local name=$1; shift
  echo "== jitmem: $name"
  java -jar "$JAR" "$@" -f "$JMH_FORKS" -t 1 -jvmArgsAppend "$JVM_ARGS" \
    -rf json -rff "$RESULTS_DIR/jmh-$name.json" "${JMH_EXTRA[@]}" | tee -a "$RESULTS_DIR/jmh.txt"
}
timed() {
  echo -wi "$JMH_WARMUP_ITERATIONS" -w "$JMH_ITERATION_TIME" -i "$JMH_ITERATIONS" -r "$JMH_ITERATION_TIME"
}

for STAGE in ${STAGES//,/ }; do
  case "$STAGE" in
    rpc)
      anchor --mode=rpc --dispatcher=dynamic --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS"
      anchor --mode=rpc --dispatcher=inplace --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS"
      # shellcheck disable=SC2046
      jmh rpc ChannelRoundTripBenchmark $(timed)
      ;;
    cycle)
      # One size at a time, the anchor and then jitmem, so that both see the same noise.
      for SIZE in ${SIZES//,/ }; do
        [ -z "$MAPPERS" ] || anchor --mode=mapper --mappers="$MAPPERS" --sizes="$(anchor_sizes "$SIZE")" \
          --prot=rw --dispatcher="$ANCHOR_DISPATCHER" --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS"
        # shellcheck disable=SC2046
        jmh "cycle-$SIZE" "MapperCycleBenchmark|InitializeBenchmark" -p backend="$BACKENDS" -p size="$SIZE" $(timed)
      done
      ;;
    slab)
      [ -z "$MANAGERS" ] || anchor --mode=jitlink --managers="$MANAGERS" --allocs=10000 --alloc-size=4k \
        --dispatcher="$ANCHOR_DISPATCHER" --reps="$ANCHOR_REPS"
      jmh slab SlabAllocationBenchmark -p backend="$BACKENDS" -wi "$SLAB_WARMUP_ROUNDS" -i "$SLAB_ROUNDS"
      ;;
    *) echo "run.sh: unknown stage: $STAGE" >&2; exit 2 ;;
  esac
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS_DIR/env.txt"
echo
python3 "$BENCH_DIR/ratios.py" "$RESULTS_DIR" | tee "$RESULTS_DIR/summary.md"
echo
echo "results in $RESULTS_DIR"
