#!/usr/bin/env python3
"""Prints the mapper-cycle table of a results directory: jitmem (JMH sample-mode JSON, jmh*.json) beside the LLVM
anchor (RESULT lines in anchor.txt, when present).

usage: ratios.py RESULTS_DIR
Medians are compared with medians; the ratio is jitmem / LLVM, so below 1 means jitmem is faster.
"""
import glob
import json
import os
import re
import sys

# jitmem backend type -> the anchor's mapper name
ANCHOR_MAPPER = {"inprocess": "inproc", "posix-shm": "shm"}
FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')


def jmh_cycles(paths):
    rows = {}
    for entry in (entry for path in paths for entry in json.load(open(path))):
        if not entry["benchmark"].endswith("MapperCycleBenchmark.cycle"):
            continue
        params = entry.get("params", {})
        metric = entry["primaryMetric"]
        if metric["scoreUnit"] != "us/op":
            sys.exit("unexpected JMH unit: " + metric["scoreUnit"])
        rows[(params["backend"], params["size"])] = {
            "median": metric["scorePercentiles"]["50.0"],
            "p90": metric["scorePercentiles"]["90.0"],
            "mean": metric["score"],
        }
    return rows


def anchor_cycles(path):
    rows = {}
    for line in open(path):
        if not line.startswith("RESULT mapper="):
            continue
        fields = {key: value.strip('"') for key, value in FIELD.findall(line[len("RESULT "):])}
        rows[(fields["mapper"], fields["size"])] = float(fields["cycle_us"])
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results = sys.argv[1]
    jitmem = jmh_cycles(sorted(glob.glob(os.path.join(results, "jmh*.json")), key=os.path.getmtime))
    anchor_path = os.path.join(results, "anchor.txt")
    anchor = anchor_cycles(anchor_path) if os.path.exists(anchor_path) else {}
    env_path = os.path.join(results, "env.txt")
    if os.path.exists(env_path):
        print(open(env_path).read())
    print("## Mapper cycle, one RW segment (reserve, prepare + copy, initialize, deinitialize, release), µs\n")
    print("| backend | size | jitmem median | jitmem p90 | jitmem mean | LLVM median | jitmem / LLVM |")
    print("|---|---|---|---|---|---|---|")
    for (backend, size), row in jitmem.items():
        llvm = anchor.get((ANCHOR_MAPPER.get(backend, backend), size))
        llvm_text = f"{llvm:.2f}" if llvm else "-"
        ratio_text = f"{row['median'] / llvm:.2f}" if llvm else "-"
        print(f"| {backend} | {size} | {row['median']:.2f} | {row['p90']:.2f} | {row['mean']:.2f} | "
              f"{llvm_text} | {ratio_text} |")


if __name__ == "__main__":
    main()
