#!/usr/bin/env bash
# Builds the JMH uber-jar and the LLVM anchor (bench/llvm, LLVM 19's own mappers and slab manager), runs each stage's
# anchor configuration right before the same jitmem benchmark, and prints the ratios jitmem / LLVM and the goals.
#
#   bench/run.sh --install-prerequisites   # once: g++, LLVM 19 (llvm-jitlink-executor), its headers, matplotlib
#   bench/run.sh                           # every stage, default settings
#   bench/run.sh --quick                   # short settings, for a first look
#   bench/run.sh --no-anchor               # jitmem only
#   STAGES=cycle SIZES=4KiB bench/run.sh -- -prof gc   # anything after -- goes to JMH as is
#
# Stages, each jitmem benchmark beside its anchor benchmark (bench/llvm/llvm-anchor.cpp):
#   rpc    ChannelRoundTripBenchmark (executor.ping, empty)          beside rpc, both controller dispatchers
#   cycle  MapperCycleBenchmark and InitializeBenchmark, bare mappers, one size at a time, RW and RX segments
#                                                                    beside cycle (InProcessMemoryMapper, SharedMemoryMapper)
#   slab   SlabAllocationBenchmark, 10,000 allocations of 4KiB, RW and RX   beside slab (MapperJITLinkMemoryManager)
#   link   LinkBenchmark: one object of 50 functions, and 1,000 small objects, linked, loaded and finalized
#          (bench/link-objects.sh compiles them once)          beside link (JITLink's ObjectLinkingLayer)
#   remote the copying backend over TCP with TLS 1.3 and mutual authentication (certificates made here with keytool),
#          MapperCycleBenchmark at each size and SlabAllocationBenchmark, RW, with the executor's calls per operation
#                                 beside cycle and slab over tcp (llvm-jitlink-executor listen=, no TLS: LLVM has none)
#          each directly on loopback and through one delaying proxy (REMOTE_DELAY_MS each way) in front of the same
#          port, started here for both sides; not in the default stages
# Every benchmark also reports the processor time per operation of the controller and the executor process together.
# At the end it draws the figures (charts.py): bench/charts/jitmem-vs-llvm.png, each measure from the latest run that
# has it under bench/target/results.
#
# Environment (defaults in brackets):
#   STAGES               stages to run, comma-separated                            [rpc,cycle,slab,link]
#   BACKENDS             jitmem backends, comma-separated jitmem.mapper.type names      [inprocess,posix-shm]
#   SIZES                content sizes of the cycle stage                 [4KiB,64KiB,1MiB,16MiB]
#   PROTECTIONS          segment protections of the cycle and slab stages   [RW,RX]
#   JMH_FORKS / JMH_WARMUP_ITERATIONS / JMH_ITERATIONS / JMH_ITERATION_TIME                  [2 / 5 / 5 / 1s]
#   SLAB_WARMUP_ROUNDS / SLAB_ROUNDS     untimed and timed rounds of 10,000 allocations per fork      [3 / 5]
#   ANCHOR_REPS / ANCHOR_REP_SECONDS     anchor repetitions and seconds per repetition            [5 / 0.5]
#   ANCHOR_SLAB_REPS     anchor slab repetitions (each a fresh manager: a cold and a warm round)  [5]
#   ANCHOR_DISPATCHER    the anchor's controller dispatcher for remote mappers and managers        [dynamic]
#   LLVM_CONFIG          LLVM 19's llvm-config                          [/usr/lib/llvm-19/bin/llvm-config]
#   RESULTS_DIR          where results go                                       [bench/target/results/<UTC time>]
#   CHART                the figures drawn at the end                          [bench/charts/jitmem-vs-llvm.png]
#   REMOTE_VIAS          remote stage: direct, delayed (through the proxy), comma-separated       [direct,delayed]
#   REMOTE_DELAY_MS      remote stage: the proxy's delay each way                                              [1]
#   REMOTE_WARMUP_SECONDS  remote stage: bound on the warm-up of each jitmem configuration through the proxy  [20]
#   DELAYED_SLAB_REPS    remote stage: anchor slab repetitions, and jitmem timed rounds, through the proxy      [1]
#
# Settings for a noisy 2-core machine: the anchor right before jitmem, one configuration at a time, so that both
# see the same neighbours; one benchmark thread, forks so that one unlucky JVM does not decide the result, sample
# mode so that medians compare with the anchor's medians, the serial collector so that no concurrent GC thread
# competes for the second core, and a fixed heap.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT_DIR=$(dirname "$BENCH_DIR")
QUICK=false
WITH_ANCHOR=true
JMH_EXTRA=()
LLVM_CONFIG=${LLVM_CONFIG:-/usr/lib/llvm-19/bin/llvm-config}

install_prerequisites() {
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y g++ llvm-19 llvm-19-dev python3 python3-matplotlib
}

while [ $# -gt 0 ]; do
  case "$1" in
    --install-prerequisites) install_prerequisites; exit 0 ;;
    --quick) QUICK=true; shift ;;
    --no-anchor) WITH_ANCHOR=false; shift ;;
    --) shift; JMH_EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,48p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

STAGES=${STAGES:-rpc,cycle,slab,link}
BACKENDS=${BACKENDS:-inprocess,posix-shm}
SIZES=${SIZES:-4KiB,64KiB,1MiB,16MiB}
PROTECTIONS=${PROTECTIONS:-RW,RX}
if $QUICK; then
  JMH_FORKS=${JMH_FORKS:-1}; JMH_WARMUP_ITERATIONS=${JMH_WARMUP_ITERATIONS:-2}
  JMH_ITERATIONS=${JMH_ITERATIONS:-3}; JMH_ITERATION_TIME=${JMH_ITERATION_TIME:-500ms}
  SLAB_WARMUP_ROUNDS=${SLAB_WARMUP_ROUNDS:-2}; SLAB_ROUNDS=${SLAB_ROUNDS:-10}
  ANCHOR_REPS=${ANCHOR_REPS:-3}; ANCHOR_REP_SECONDS=${ANCHOR_REP_SECONDS:-0.5}; ANCHOR_SLAB_REPS=${ANCHOR_SLAB_REPS:-3}
else
  JMH_FORKS=${JMH_FORKS:-2}; JMH_WARMUP_ITERATIONS=${JMH_WARMUP_ITERATIONS:-5}
  JMH_ITERATIONS=${JMH_ITERATIONS:-5}; JMH_ITERATION_TIME=${JMH_ITERATION_TIME:-1s}
  SLAB_WARMUP_ROUNDS=${SLAB_WARMUP_ROUNDS:-3}; SLAB_ROUNDS=${SLAB_ROUNDS:-5}
  ANCHOR_REPS=${ANCHOR_REPS:-5}; ANCHOR_REP_SECONDS=${ANCHOR_REP_SECONDS:-0.5}; ANCHOR_SLAB_REPS=${ANCHOR_SLAB_REPS:-5}
fi
ANCHOR_DISPATCHER=${ANCHOR_DISPATCHER:-dynamic}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/target/results/$(date -u +%Y%m%dT%H%M%SZ)}
CHART=${CHART:-$BENCH_DIR/charts/jitmem-vs-llvm.png}

ANCHOR_BIN=
if $WITH_ANCHOR; then
  if [ ! -x "$LLVM_CONFIG" ] || [ ! -x "$("$LLVM_CONFIG" --bindir)/llvm-jitlink-executor" ]; then
    echo "run.sh: LLVM 19 not found ($LLVM_CONFIG); run bench/run.sh --install-prerequisites, or --no-anchor" >&2
    exit 2
  fi
  ANCHOR_BIN=$BENCH_DIR/target/llvm/jitmem-llvm-anchor
  echo "== building the LLVM anchor"
  LLVM_CONFIG=$LLVM_CONFIG "$BENCH_DIR/llvm/build.sh" "$ANCHOR_BIN"
fi
mkdir -p "$RESULTS_DIR"

echo "== building the benchmark jar"
(cd "$ROOT_DIR" && mvn -B -ntp -Pbenchmarks -pl bench -am -DskipTests package)
JAR=$BENCH_DIR/target/jitmem-benchmarks.jar

# The anchor's names for the backends benchmarked.
ANCHOR_NAMES=$(
  names=()
  for backend in ${BACKENDS//,/ }; do
    case "$backend" in
      inprocess) names+=(inproc) ;;
      posix-shm) names+=(shm) ;;
      *) echo "run.sh: no anchor counterpart for backend $backend" >&2 ;;
    esac
  done
  IFS=,; echo "${names[*]}")

{
  echo "host: $(uname -r), $(nproc) cpus,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "java: $(java -version 2>&1 | head -1)"
  [ -z "$ANCHOR_BIN" ] || echo "llvm: $("$LLVM_CONFIG" --version), $("$LLVM_CONFIG" --bindir)/llvm-jitlink-executor"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RESULTS_DIR/env.txt"

JVM_ARGS="-XX:+UseSerialGC -Xms1g -Xmx1g"
anchor() {
  [ -n "$ANCHOR_BIN" ] && [ -n "$ANCHOR_NAMES" ] || return 0
  echo "== LLVM anchor: $* --dispatcher=${DISPATCHER:-$ANCHOR_DISPATCHER}"
  # VIA tags the results of the remote stage: direct or delayed.
  "$ANCHOR_BIN" "$@" --dispatcher="${DISPATCHER:-$ANCHOR_DISPATCHER}" |
    sed -u "${VIA:+/^RESULT /s/\$/ via=$VIA/}" | tee -a "$RESULTS_DIR/anchor.txt"
}
jmh() {
  local name=$1; shift
  echo "== jitmem: $name"
  java -jar "$JAR" "$@" -f "$JMH_FORKS" -t 1 -jvmArgsAppend "$JVM_ARGS" -prof org.jitmem.bench.CpuPerOperation \
    -rf json -rff "$RESULTS_DIR/jmh-$name.json" "${JMH_EXTRA[@]}" | tee -a "$RESULTS_DIR/jmh.txt"
}
timed() {
  echo -wi "$JMH_WARMUP_ITERATIONS" -w "$JMH_ITERATION_TIME" -i "$JMH_ITERATIONS" -r "$JMH_ITERATION_TIME"
}

# The remote stage's certificates and delaying proxy (org.jitmem.executor.FaultProxy), in front of REMOTE_PORT, where
# either side's executor listens in turn.
PROXY_PID=
stop_proxy() { [ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null || true; }
trap stop_proxy EXIT
start_remote() {
  local dir=$BENCH_DIR/target/remote
  rm -rf "$dir" && mkdir -p "$dir"
  echo "== certificates (keytool) and a proxy delaying ${REMOTE_DELAY_MS} ms each way"
  java -cp "$JAR" org.jitmem.executor.TestCertificates "$dir/certificates"
  REMOTE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  java -XX:+UseSerialGC -Xmx64m -cp "$JAR" org.jitmem.executor.FaultProxy --target "$REMOTE_PORT" \
    --delay-ms "$REMOTE_DELAY_MS" > "$dir/proxy.out" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 100); do grep -q '^fault-proxy ready' "$dir/proxy.out" && break; sleep 0.1; done
  PROXY_PORT=$(sed -n 's/^fault-proxy ready port=\([0-9]*\).*/\1/p' "$dir/proxy.out")
  [ -n "$PROXY_PORT" ] || { echo "run.sh: the proxy did not start: $(cat "$dir/proxy.out")" >&2; exit 1; }
  REMOTE_JVM_ARGS="-Djitmem.bench.certificates=$dir/certificates -Djitmem.bench.remotePort=$REMOTE_PORT"
  REMOTE_JVM_ARGS="$REMOTE_JVM_ARGS -Djitmem.bench.delayProxy=127.0.0.1:$PROXY_PORT"
  echo "remote: executors listen on 127.0.0.1:$REMOTE_PORT, proxy on 127.0.0.1:$PROXY_PORT delaying" \
    "${REMOTE_DELAY_MS} ms each way; jitmem with TLS 1.3, mutual authentication; LLVM plain TCP" >> "$RESULTS_DIR/env.txt"
}
# The anchor's tcp options and jitmem's backend for a way: direct or delayed. TCP_NODELAY on both LLVM ends (see
# llvm-anchor.cpp, "tcp"), as jitmem's channel and the proxy set it.
via_anchor() {
  echo "--listen-port=$REMOTE_PORT --nodelay-preload=$(dirname "$ANCHOR_BIN")/nodelay-preload.so"
  [ "$1" = direct ] || echo "--connect=127.0.0.1:$PROXY_PORT"
}
via_backend() { [ "$1" = direct ] && echo remote || echo remote-delayed; }
# Through the proxy the path waits far more than it computes: its warm-up is bounded shorter.
via_warm_up() { [ "$1" = direct ] || echo "-Djitmem.bench.warmUpSeconds=$REMOTE_WARMUP_SECONDS"; }
REMOTE_VIAS=${REMOTE_VIAS:-direct,delayed}
REMOTE_DELAY_MS=${REMOTE_DELAY_MS:-1}
REMOTE_WARMUP_SECONDS=${REMOTE_WARMUP_SECONDS:-20}
DELAYED_SLAB_REPS=${DELAYED_SLAB_REPS:-1}

for STAGE in ${STAGES//,/ }; do
  case "$STAGE" in
    rpc)
      DISPATCHER=dynamic anchor rpc --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS"
      DISPATCHER=inplace anchor rpc --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS"
      # shellcheck disable=SC2046
      jmh rpc ChannelRoundTripBenchmark $(timed)
      ;;
    cycle)
      # One size at a time, the anchor and then jitmem, so that both see the same noise.
      for SIZE in ${SIZES//,/ }; do
        for PROT in ${PROTECTIONS//,/ }; do
          anchor cycle --mappers="$ANCHOR_NAMES" --sizes="$SIZE" --prot="${PROT,,}" --reps="$ANCHOR_REPS" \
            --rep-seconds="$ANCHOR_REP_SECONDS"
        done
        # shellcheck disable=SC2046
        jmh "cycle-$SIZE" "MapperCycleBenchmark|InitializeBenchmark" -p backend="$BACKENDS" -p size="$SIZE" \
          -p protection="$PROTECTIONS" $(timed)
      done
      ;;
    slab)
      for PROT in ${PROTECTIONS//,/ }; do
        anchor slab --managers="$ANCHOR_NAMES" --allocs=10000 --size=4KiB --prot="${PROT,,}" --reps="$ANCHOR_SLAB_REPS"
      done
      jmh slab SlabAllocationBenchmark -p backend="$BACKENDS" -p protection="$PROTECTIONS" \
        -wi "$SLAB_WARMUP_ROUNDS" -i "$SLAB_ROUNDS"
      ;;
    link)
      OBJECTS_DIR=$BENCH_DIR/target/link-objects
      [ -f "$OBJECTS_DIR/symbols-small.txt" ] || "$BENCH_DIR/link-objects.sh" "$OBJECTS_DIR"
      anchor link --mappers="$ANCHOR_NAMES" --objects="$OBJECTS_DIR/wide.o" \
        --symbols="$(cat "$OBJECTS_DIR/symbols-wide.txt")" --reps="$ANCHOR_REPS" --rep-seconds="$ANCHOR_REP_SECONDS"
      anchor link --mappers="$ANCHOR_NAMES" --objects="$(ls "$OBJECTS_DIR"/small/*.o | paste -sd,)" \
        --symbols="$(cat "$OBJECTS_DIR/symbols-small.txt")" --reps="$ANCHOR_REPS" --rep-seconds=2
      JVM_ARGS="$JVM_ARGS -Djitmem.bench.linkObjects=$OBJECTS_DIR" jmh link LinkBenchmark -p backend="$BACKENDS" \
        -wi "$JMH_WARMUP_ITERATIONS" -w 1s -i "$JMH_ITERATIONS" -r 2s
      ;;
    remote)
      start_remote
      for SIZE in ${SIZES//,/ }; do
        for via in ${REMOTE_VIAS//,/ }; do
          # shellcheck disable=SC2046
          VIA=$via anchor cycle --mappers=tcp $(via_anchor "$via") --sizes="$SIZE" --prot=rw --reps="$ANCHOR_REPS" \
            --rep-seconds="$ANCHOR_REP_SECONDS"
          # shellcheck disable=SC2046
          JVM_ARGS="$JVM_ARGS $REMOTE_JVM_ARGS $(via_warm_up "$via")" jmh "remote-cycle-$SIZE-$via" \
            MapperCycleBenchmark -p backend="$(via_backend "$via")" -p size="$SIZE" -p protection=RW $(timed)
        done
      done
      for via in ${REMOTE_VIAS//,/ }; do
        reps=$ANCHOR_SLAB_REPS; rounds=(-wi "$SLAB_WARMUP_ROUNDS" -i "$SLAB_ROUNDS")
        # Through the proxy a round of 10,000 allocations takes tens of seconds on either side.
        [ "$via" = direct ] || { reps=$DELAYED_SLAB_REPS; rounds=(-wi 0 -i "$DELAYED_SLAB_REPS"); }
        # shellcheck disable=SC2046
        VIA=$via anchor slab --managers=tcp $(via_anchor "$via") --allocs=10000 --size=4KiB --prot=rw --reps="$reps"
        JVM_ARGS="$JVM_ARGS $REMOTE_JVM_ARGS $(via_warm_up "$via")" jmh "remote-slab-$via" SlabAllocationBenchmark \
          -p backend="$(via_backend "$via")" -p protection=RW "${rounds[@]}"
      done
      stop_proxy; PROXY_PID=
      ;;
    *) echo "run.sh: unknown stage: $STAGE" >&2; exit 2 ;;
  esac
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$RESULTS_DIR/env.txt"
echo
python3 "$BENCH_DIR/ratios.py" "$RESULTS_DIR" | tee "$RESULTS_DIR/summary.md"
echo
# Debian's matplotlib is for Debian's python3; earlier runs first, so that this run's measures win.
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$BENCH_DIR/charts.py" "$CHART" $(ls -d "$BENCH_DIR"/target/results/*/ 2>/dev/null) "$RESULTS_DIR"
else
  echo "run.sh: no chart: matplotlib is missing (bench/run.sh --install-prerequisites installs it)" >&2
fi
echo "results in $RESULTS_DIR"
