#!/usr/bin/env bash
# Measures the two runnable containers side by side on this machine: container/'s own launcher
# (jitmem-container.jar) and bnd's launcher exported from jitmem.bndrun (jitmem.jar).
#
#   container-bndrun/measure.sh        # after mvn -Pbndrun -pl container,container-bndrun -am -DskipTests package
#   RUNS=20 SECTIONS=shell,demo container-bndrun/measure.sh
#
# Sections (SECTIONS, comma-separated, all by default), for each jar: size, its size; shell, the time from
# `java -jar` to the shell's first prompt and to the shell answering jitmem:backends with the shared-memory backend
# selected (the executor up), and the JVM's resident memory 2 s later (the jars alternate); demo, the whole demo run,
# and link, README's hello.o linked and run over each backend (hyperfine, wall clock); rss, the largest resident
# memory of a demo run (/usr/bin/time). Needs hyperfine and cc (Debian: hyperfine, gcc).
set -euo pipefail

ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
OWN=${OWN:-$ROOT_DIR/container/target/jitmem-container.jar}
BND=${BND:-$ROOT_DIR/container-bndrun/target/jitmem.jar}
RUNS=${RUNS:-10}
SECTIONS=,${SECTIONS:-size,shell,demo,link,rss},
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
JAVA="java -Djitmem.state=$WORK/state"

cat > "$WORK/hello.c" <<'C'
#include <stdio.h>
int main(int argc, char **argv) { printf("hello, %s\n", argc > 1 ? argv[1] : "world"); return 7; }
C
cc -fPIC -c -o "$WORK/hello.o" "$WORK/hello.c"

if [[ $SECTIONS == *,size,* ]]; then
  echo "## jar size, bytes"
  ls -l "$OWN" "$BND" | awk '{print $5, $9}'
  echo
fi

if [[ $SECTIONS == *,shell,* ]]; then
echo "## shell: java -jar until the first prompt, until jitmem:backends typed at a prompt shows posix-shm selected,"
echo "## and the JVM's resident memory 2 s later ($RUNS runs each)"
python3 - "$OWN" "$BND" "$RUNS" "$WORK" <<'PY'
import os, statistics, subprocess, sys, time
own, bnd, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
results = {own: ([], [], []), bnd: ([], [], [])}

def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

for _ in range(runs):
    for jar in (own, bnd):
        start = time.monotonic()
        process = subprocess.Popen(["java", f"-Djitmem.state={work}/state", "-jar", jar], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # At each prompt, jitmem:backends, until it shows the shared-memory backend selected.
        seen, prompts, first = b"", 0, None
        while b"* posix-shm" not in seen:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                sys.exit(f"{jar}: no ready shell: {seen[-500:]!r}")
            seen += chunk
            if seen.count(b"g! ") > prompts:
                prompts = seen.count(b"g! ")
                first = first or (time.monotonic() - start) * 1000
                if b"* posix-shm" not in seen:
                    time.sleep(0.02)
                    process.stdin.write(b"jitmem:backends\n")
                    process.stdin.flush()
        results[jar][0].append(first)
        results[jar][1].append((time.monotonic() - start) * 1000)
        time.sleep(2)
        results[jar][2].append(rss_kib(process.pid) / 1024)
        process.stdin.write(b"stop 0\n")
        process.stdin.close()
        process.stdout.read()
        if process.wait(timeout=60) != 0:
            sys.exit(f"{jar}: exit status {process.returncode} after stop 0")
def cell(values, digits=0):
    return f"{statistics.median(values):.{digits}f} | {min(values):.{digits}f} to {max(values):.{digits}f}"

print("| jar | first prompt median ms | range | posix-shm selected median ms | range | RSS median MiB | range |")
print("|---|---|---|---|---|---|---|")
for jar, (prompt, ready, rss) in results.items():
    print(f"| {os.path.basename(jar)} | {cell(prompt)} | {cell(ready)} | {cell(rss)} |")
PY
echo
fi

# One command on each jar (hyperfine: a warm-up run, then RUNS runs of one jar, then of the other), medians, ranges and
# exit codes (link returns main's 7).
compare() {
  local name=$1; shift
  hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$WORK/times.json" \
    --command-name "$(basename "$OWN")" "$JAVA -jar $OWN $*" --command-name "$(basename "$BND")" "$JAVA -jar $BND $*" \
    > /dev/null 2>&1
  python3 - "$WORK/times.json" "$name" <<'PY'
import json, statistics, sys
print(f"| {sys.argv[2]} | median s | range s | exit codes |")
print("|---|---|---|---|")
for result in json.load(open(sys.argv[1]))["results"]:
    times = result["times"]
    print(f"| {result['command']} | {statistics.median(times):.2f} | {min(times):.2f} to {max(times):.2f} | "
          f"{','.join(sorted(set(str(code) for code in result['exit_codes'])))} |")
PY
}

if [[ $SECTIONS == *,demo,* ]]; then
  compare "demo, whole run" demo
  echo
fi
if [[ $SECTIONS == *,link,* ]]; then
  for backend in posix-shm inprocess; do
    compare "link --backend $backend hello.o" link --backend "$backend" "$WORK/hello.o"
    echo
  done
fi

[[ $SECTIONS == *,rss,* ]] || exit 0
echo "## demo: largest resident memory of the container's JVM, KiB (3 runs each)"
for jar in "$OWN" "$BND"; do
  printf '%s:' "$(basename "$jar")"
  for _ in 1 2 3; do
    /usr/bin/time -f ' %M' $JAVA -jar "$jar" demo 2>&1 > /dev/null | tail -1 | tr -d '\n'
  done
  echo
done
