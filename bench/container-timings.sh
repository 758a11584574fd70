#!/usr/bin/env bash
# Times the runnable container: start-up until the executor is ready (from the moment `java -jar` is run), and one
# hot swap each way (the shared-memory backend stopped until the in-process one is selected, and started again
# until it is selected back), as the demo reports them. Runs the demo RUNS times and prints medians and ranges.
#
#   bench/container-timings.sh              # 10 runs; builds the container first when it is missing
#   RUNS=20 bench/container-timings.sh
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
JAR="$ROOT_DIR/container/target/jitmem-container.jar"
RUNS=${RUNS:-10}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

[ -f "$JAR" ] || (cd "$ROOT_DIR" && mvn -B -ntp -DskipTests package)

# A demo that fails ends the script (pipefail): its exit status is the java command's.
for run in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  java -jar "$JAR" demo 2>&1 | while IFS= read -r line; do
    printf '%s %s\n' "$(( ($(date +%s%N) - start) / 1000 ))" "$line"
  done > "$OUT/run$run.txt"
  echo "run $run of $RUNS done" >&2
done

python3 - "$OUT" "$RUNS" <<'PY'
import re, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
ready, takeover, back = [], [], []
for run in range(1, runs + 1):
    text = open(f"{out}/run{run}.txt").read().splitlines()
    seen_ready = False
    for line in text:
        stamp, _, rest = line.partition(" ")
        if re.search(r"^\s+\d+ ms\s+executor running", rest) and not seen_ready:
            ready.append(int(stamp) / 1000.0)
            seen_ready = True
        m = re.search(r"^\s+([\d.]+) ms\s+the in-process backend took over", rest)
        if m:
            takeover.append(float(m.group(1)))
        m = re.search(r"^\s+([\d.]+) ms\s+posix-shm is selected again", rest)
        if m:
            back.append(float(m.group(1)))
    if not any("posix-shm is selected again" in l for l in text):
        sys.exit(f"run {run} did not finish the demo: see its output")
def row(name, values):
    if not values:
        return f"| {name} | - | - | 0 |"
    return f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} to {max(values):.1f} | {len(values)} |"
print("| container timing | median ms | range ms | runs |")
print("|---|---|---|---|")
print(row("java -jar until the executor is ready", ready))
print(row("hot swap: posix-shm stopped until in-process is selected", takeover))
print(row("hot swap: posix-shm started until it is selected again", back))
PY
