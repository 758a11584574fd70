#!/usr/bin/env python3
"""Prints the tables of a results directory: jitmem (JMH JSON, jmh*.json) beside the LLVM anchor (RESULT lines of
anchor.txt, written by bench/llvm's jitmem-llvm-anchor), measured in the same run, and whether each goal is met.

usage: ratios.py RESULTS_DIR
Medians are compared with medians; a ratio is jitmem / LLVM, so below 1 means jitmem is faster (0.20 is 5 times
faster). Processor time per operation (cpu) is the controller's plus the executor process's, on either side.
"""
import glob
import json
import os
import re
import sys

ANCHOR_NAME = {"inprocess": "inproc", "posix-shm": "shm", "remote": "tcp", "remote-delayed": "tcp"}
# The remote stage's backends and the anchor rows' tag for the same way: on loopback directly, or through the proxy.
REMOTE_VIA = {"remote": "direct", "remote-delayed": "delayed"}
# LLVM's round trips per operation over tcp, from its protocol (EPCGenericJITLinkMemoryManager over SimpleRemoteEPC):
# a cycle is allocate (one reserve call), finalize (one call carrying the content and the protections) and deallocate
# (one call); a slab allocation is allocate and finalize, as that manager reserves for every allocation.
LLVM_CALLS = {"cycle": 3, "slab": 2}
FIELD = re.compile(r'(\w+)=(\S+)')
SIZE = re.compile(r'(\d+)(KiB|MiB)$')
KIB = 1024

# (label, backend, limit for a size in bytes)
CYCLE_GOALS = [
    ("bare cycle in process <= 0.8 at every size", "inprocess", lambda size: 0.8),
    ("bare cycle over shared memory <= 0.2 up to 64 KiB, <= 0.5 above", "posix-shm",
     lambda size: 0.2 if size <= 64 * KIB else 0.5),
]
SLAB_GOALS = [
    ("slab 4 KiB in process <= 0.7", "inprocess", 0.7),
    ("slab 4 KiB over shared memory <= 0.1", "posix-shm", 0.1),
]
REMOTE_GOAL = ("remote (TLS 1.3) <= 0.5 of LLVM over tcp (no TLS), cycle and slab, direct and delayed", 0.5)
REMOTE_CALLS_GOAL = ("one round trip per slab allocation's finalize (remote)", 1.01)
LINK_OBJECTS = {"wide": "1", "small": "1000"}
LINK_GOAL = ("link + load + finalize <= 0.5 of JITLink's", 0.5)
FLAT_SPREAD = 2.0


def size_bytes(label):
    match = SIZE.match(label)
    if not match:
        return int(label)
    return int(match.group(1)) * (KIB if match.group(2) == "KiB" else KIB * KIB)


def median(values):
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def jmh_entries(results):
    for path in sorted(glob.glob(os.path.join(results, "jmh*.json")), key=os.path.getmtime):
        if os.path.getsize(path) == 0:
            continue  # a stage still running, or one that failed
        for entry in json.load(open(path)):
            metric = entry["primaryMetric"]
            if metric["scoreUnit"] != "us/op":
                sys.exit("unexpected JMH unit: " + metric["scoreUnit"])
            cpu = entry.get("secondaryMetrics", {}).get("cpu")
            calls = entry.get("secondaryMetrics", {}).get("calls")
            # The median over iterations (slab: rounds) of each one's processor time per operation, as the time is
            # a median: an iteration in which the JIT compiler still ran on the other processor does not decide it.
            per_iteration = sorted(value for fork in cpu["rawData"] for value in fork) if cpu else []
            yield {
                "benchmark": entry["benchmark"].rsplit(".", 2)[-2],
                "params": entry.get("params", {}),
                "median": metric["scorePercentiles"]["50.0"],
                "p90": metric["scorePercentiles"]["90.0"],
                "cpu": median(per_iteration) if per_iteration else None,
                "calls": median(sorted(v for fork in calls["rawData"] for v in fork)) if calls else None,
            }


def anchor_rows(results):
    path = os.path.join(results, "anchor.txt")
    if not os.path.exists(path):
        return []
    return [dict(FIELD.findall(line[len("RESULT "):])) for line in open(path) if line.startswith("RESULT ")]


def link_memory_rows(results):
    """The LINK-MEMORY lines LinkBenchmark prints: the executor memory one load takes from the slab manager."""
    path = os.path.join(results, "jmh.txt")
    if not os.path.exists(path):
        return []
    return [dict(FIELD.findall(line[line.index("LINK-MEMORY "):])) for line in open(path) if "LINK-MEMORY " in line]


def anchor_row(rows, **match):
    for row in reversed(rows):
        if all(row.get(key) == value for key, value in match.items()):
            return row
    return None


def rpc_anchor(anchor, dispatcher):
    return anchor_row(anchor, bench="rpc", dispatcher=dispatcher)


def via(backend):
    """The anchor rows' via tag for a backend: only the remote stage's rows have one."""
    return {"via": REMOTE_VIA[backend]} if backend in REMOTE_VIA else {}


def cycle_anchor(anchor, params):
    """The anchor's cycle row for a MapperCycleBenchmark or InitializeBenchmark entry's parameters."""
    return anchor_row(anchor, bench="cycle", mapper=ANCHOR_NAME.get(params["backend"]),
                      prot=params["protection"].lower(), size=params["size"], **via(params["backend"]))


def slab_anchor(anchor, params):
    return anchor_row(anchor, bench="slab", manager=ANCHOR_NAME.get(params["backend"]),
                      prot=params["protection"].lower(), size=params["size"], **via(params["backend"]))


def is_remote(entry):
    return entry["params"].get("backend") in REMOTE_VIA


def link_anchor(anchor, backend, objects):
    """objects: LinkBenchmark's parameter (wide, small) or the count LINK-MEMORY lines give (1, 1000)."""
    return anchor_row(anchor, bench="link", manager=ANCHOR_NAME.get(backend),
                      objects=LINK_OBJECTS.get(objects, objects))


def value(row, key):
    return float(row[key]) if row is not None and key in row else None


def ratio(jitmem, llvm):
    return jitmem / llvm if jitmem is not None and llvm else None


def text(number):
    return f"{number:.2f}" if number is not None else "-"


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


def verdict(ratios, limits):
    """'yes', 'no' or 'not measured', and the worst ratio against its limit."""
    pairs = [(r, limit) for r, limit in zip(ratios, limits) if r is not None]
    if not pairs or len(pairs) < len(ratios):
        return "not measured", None
    worst = max(pairs, key=lambda pair: pair[0] / pair[1])
    return ("yes" if all(r <= limit for r, limit in pairs) else "no"), worst[0]


def remote_rows(entries, anchor):
    """Per remote entry: (kind, via, label, jitmem median, LLVM median, jitmem cpu, LLVM cpu, jitmem calls/op)."""
    rows = []
    for entry in entries:
        params = entry["params"]
        if entry["benchmark"] == "MapperCycleBenchmark":
            llvm = cycle_anchor(anchor, params)
            rows.append(("cycle", REMOTE_VIA[params["backend"]], params["size"], entry["median"],
                         value(llvm, "median_us"), entry["cpu"], value(llvm, "cpu_us"), entry["calls"]))
        elif entry["benchmark"] == "SlabAllocationBenchmark":
            llvm = slab_anchor(anchor, params)
            round_ = params["round"]
            rows.append(("slab", REMOTE_VIA[params["backend"]], round_, entry["median"], value(llvm, round_ + "_us"),
                         entry["cpu"], value(llvm, round_ + "_cpu_us"), entry["calls"]))
    return rows


def remote_tables(entries, anchor):
    """Prints the remote stage's table; returns its goals."""
    rows = remote_rows(entries, anchor)
    print("## Copying backend over TCP, TLS 1.3 with mutual authentication, against LLVM over tcp (no TLS), µs\n")
    print("cycle: jitmem's bare mapper (reserve, prepare + copy, initialize, deinitialize, release) against LLVM's "
          "generic remote manager (allocate, write, finalize, deallocate), per cycle, RW; slab: 10,000 allocations "
          "of 4 KiB, each allocated, written and finalized, per allocation; direct: loopback; delayed: through a "
          "proxy that delays each way. Round trips per operation: jitmem's counted on its channel, LLVM's from its "
          "protocol\n")
    table(["bench", "via", "size / round", "jitmem median", "LLVM median", "jitmem / LLVM", "jitmem cpu/op",
           "LLVM cpu/op", "cpu jitmem / LLVM", "jitmem round trips/op", "LLVM round trips/op"],
          [[kind, way, label, text(mine), text(llvm), text(ratio(mine, llvm)), text(cpu), text(llvm_cpu),
            text(ratio(cpu, llvm_cpu)), text(calls), str(LLVM_CALLS[kind])]
           for kind, way, label, mine, llvm, cpu, llvm_cpu, calls in rows])
    ratios = [(f"{kind} {way} {label}", ratio(mine, llvm)) for kind, way, label, mine, llvm, _, _, _ in rows]
    met, _ = verdict([r for _, r in ratios], [REMOTE_GOAL[1]] * len(ratios))
    goals = [(REMOTE_GOAL[0], ", ".join(f"{name} {text(r)}" for name, r in ratios), met)]
    slab_calls = [(f"{way} {label}", calls) for kind, way, label, _, _, _, _, calls in rows if kind == "slab"]
    if slab_calls:
        met, _ = verdict([c for _, c in slab_calls], [REMOTE_CALLS_GOAL[1]] * len(slab_calls))
        goals.append((REMOTE_CALLS_GOAL[0] + ", round trips per allocation",
                      ", ".join(f"{name} {text(c)}" for name, c in slab_calls), met))
    return goals


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results = sys.argv[1]
    entries = list(jmh_entries(results))
    anchor = anchor_rows(results)
    env_path = os.path.join(results, "env.txt")
    if os.path.exists(env_path):
        print(open(env_path).read())
    goals = []
    cpu_ratios = []

    rpc = [e for e in entries if e["benchmark"] == "ChannelRoundTripBenchmark"]
    if rpc:
        print("## Round trip of an empty executor call, µs\n")
        rows = []
        for entry in rpc:
            for dispatcher in ("dynamic", "inplace"):
                llvm = rpc_anchor(anchor, dispatcher)
                rows.append([dispatcher, text(entry["median"]), text(entry["p90"]), text(value(llvm, "median_us")),
                             text(ratio(entry["median"], value(llvm, "median_us"))), text(entry["cpu"]),
                             text(value(llvm, "cpu_us")), text(ratio(entry["cpu"], value(llvm, "cpu_us")))])
        table(["LLVM dispatcher", "jitmem median", "jitmem p90", "LLVM median", "jitmem / LLVM", "jitmem cpu/op",
               "LLVM cpu/op", "cpu jitmem / LLVM"], rows)

    cycles = [e for e in entries if e["benchmark"] == "MapperCycleBenchmark" and not is_remote(e)]
    cycle_ratios = {}
    if cycles:
        print("## Bare mapper cycle (reserve, prepare + copy, initialize, deinitialize, release), µs per cycle\n")
        rows = []
        for entry in cycles:
            params = entry["params"]
            llvm = cycle_anchor(anchor, params)
            time_ratio = ratio(entry["median"], value(llvm, "median_us"))
            cpu_ratio = ratio(entry["cpu"], value(llvm, "cpu_us"))
            cycle_ratios[(params["backend"], params["protection"], params["size"])] = time_ratio
            cpu_ratios.append((f"cycle {params['backend']} {params['protection']} {params['size']}", cpu_ratio))
            rows.append([params["backend"], params["protection"], params["size"], text(entry["median"]),
                         text(entry["p90"]), text(value(llvm, "median_us")), text(time_ratio), text(entry["cpu"]),
                         text(value(llvm, "cpu_us")), text(cpu_ratio)])
        table(["backend", "segment", "size", "jitmem median", "jitmem p90", "LLVM median", "jitmem / LLVM",
               "jitmem cpu/op", "LLVM cpu/op", "cpu jitmem / LLVM"], rows)
        for label, backend, limit in CYCLE_GOALS:
            keys = sorted((k for k in cycle_ratios if k[0] == backend), key=lambda k: (k[1], size_bytes(k[2])))
            met, worst = verdict([cycle_ratios[k] for k in keys], [limit(size_bytes(k[2])) for k in keys])
            measured = ", ".join(f"{k[1]} {k[2]} {text(cycle_ratios[k])}" for k in keys)
            goals.append((label, measured or "-", met))

    inits = [e for e in entries if e["benchmark"] == "InitializeBenchmark"]
    if inits:
        print("## Initialize + deinitialize after the content was written, µs (flat in the size is the goal)\n")
        rows = []
        kept = {}
        for entry in inits:
            params = entry["params"]
            llvm = cycle_anchor(anchor, params)
            init, deinit = value(llvm, "initialize_us"), value(llvm, "deinitialize_us")
            both = init + deinit if init is not None and deinit is not None else None
            if params["written"] == "kept":
                kept.setdefault((params["backend"], params["protection"]), []).append(entry["median"])
            rows.append([params["backend"], params["protection"], params["size"], params["written"],
                         text(entry["median"]), text(both), text(ratio(entry["median"], both))])
        table(["backend", "segment", "size", "written", "jitmem median", "LLVM initialize + deinitialize",
               "jitmem / LLVM"], rows)
        spreads = {key: max(values) / min(values) for key, values in kept.items() if len(values) > 1}
        if spreads:
            goals.append((f"initialize + deinitialize flat in the size (kept: largest / smallest median <= "
                          f"{FLAT_SPREAD:g})",
                          ", ".join(f"{b} {p} {s:.2f}" for (b, p), s in sorted(spreads.items())),
                          "yes" if all(s <= FLAT_SPREAD for s in spreads.values()) else "no"))

    slabs = [e for e in entries if e["benchmark"] == "SlabAllocationBenchmark" and not is_remote(e)]
    slab_ratios = {}
    if slabs:
        print("## Slab manager against MapperJITLinkMemoryManager (64 MiB slabs), µs per 4 KiB allocation\n")
        print("10,000 allocations a round, each allocated, written and finalized; cold: a fresh manager; warm: freed "
              "ranges reused\n")
        rows = []
        for entry in slabs:
            params = entry["params"]
            round_ = params["round"]
            llvm = slab_anchor(anchor, params)
            time_ratio = ratio(entry["median"], value(llvm, round_ + "_us"))
            cpu_ratio = ratio(entry["cpu"], value(llvm, round_ + "_cpu_us"))
            slab_ratios[(params["backend"], params["protection"], round_)] = time_ratio
            cpu_ratios.append((f"slab {params['backend']} {params['protection']} {round_}", cpu_ratio))
            rows.append([params["backend"], params["protection"], round_, text(entry["median"]),
                         text(value(llvm, round_ + "_us")), text(time_ratio), text(entry["cpu"]),
                         text(value(llvm, round_ + "_cpu_us")), text(cpu_ratio)])
        table(["backend", "segment", "round", "jitmem median", "LLVM median", "jitmem / LLVM", "jitmem cpu/op",
               "LLVM cpu/op", "cpu jitmem / LLVM"], rows)
        for label, backend, limit in SLAB_GOALS:
            keys = sorted(k for k in slab_ratios if k[0] == backend)
            met, worst = verdict([slab_ratios[k] for k in keys], [limit] * len(keys))
            goals.append((label, ", ".join(f"{k[1]} {k[2]} {text(slab_ratios[k])}" for k in keys) or "-", met))

    remote = [e for e in entries if is_remote(e)]
    if remote:
        goals.extend(remote_tables(remote, anchor))

    links = [e for e in entries if e["benchmark"] == "LinkBenchmark"]
    link_ratios = []
    if links:
        print("## Link + load + finalize against JITLink (ObjectLinkingLayer over MapperJITLinkMemoryManager), "
              "µs per load\n")
        print("wide: one object of 50 functions; small: 1,000 small objects loaded together; unloading is not timed "
              "on either side, but is in the processor time\n")
        rows = []
        for entry in links:
            params = entry["params"]
            llvm = link_anchor(anchor, params["backend"], params["objects"])
            time_ratio = ratio(entry["median"], value(llvm, "load_median_us"))
            cpu_ratio = ratio(entry["cpu"], value(llvm, "cpu_us"))
            link_ratios.append((f"{params['backend']} {params['objects']}", time_ratio))
            cpu_ratios.append((f"link {params['backend']} {params['objects']}", cpu_ratio))
            rows.append([params["backend"], params["objects"], text(entry["median"]), text(entry["p90"]),
                         text(value(llvm, "load_median_us")), text(time_ratio), text(entry["cpu"]),
                         text(value(llvm, "cpu_us")), text(cpu_ratio)])
        table(["backend", "objects", "jitmem median", "jitmem p90", "JITLink median", "jitmem / JITLink",
               "jitmem cpu/op", "JITLink cpu/op", "cpu jitmem / JITLink"], rows)
        met, worst = verdict([r for _, r in link_ratios], [LINK_GOAL[1]] * len(link_ratios))
        goals.append((LINK_GOAL[0], ", ".join(f"{name} {text(r)}" for name, r in link_ratios), met))
        memory = link_memory_rows(results)
        if memory:
            print("Executor memory one load takes, bytes per object (jitmem: the slab manager's used bytes; JITLink: "
                  "what MapperJITLinkMemoryManager allocates, each graph's segments rounded up to pages)\n")
            rows = []
            for row in memory:
                llvm = link_anchor(anchor, row["backend"], row["objects"])
                rows.append([row["backend"], row["objects"], row["executor_bytes_per_object"],
                             text(value(llvm, "executor_bytes_per_object")),
                             text(ratio(float(row["executor_bytes_per_object"]),
                                        value(llvm, "executor_bytes_per_object")))])
            table(["backend", "objects", "jitmem bytes/object", "JITLink bytes/object", "jitmem / JITLink"], rows)

    if cpu_ratios:
        met, worst = verdict([r for _, r in cpu_ratios], [1.0] * len(cpu_ratios))
        over = [f"{name} {text(r)}" for name, r in cpu_ratios if r is not None and r > 1.0]
        goals.append(("processor time per operation, both processes, <= LLVM's (cycle, slab and link)",
                      f"worst {text(worst)}" + ("; above 1: " + ", ".join(over) if over else ""), met))

    if goals:
        print("## Goals (jitmem / LLVM, this run)\n")
        table(["goal", "this run", "met"], [list(goal) for goal in goals])


if __name__ == "__main__":
    main()
