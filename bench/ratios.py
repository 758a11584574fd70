#!/usr/bin/env python3
"""Prints the mapper-cycle table: jitmem (JMH sample-mode JSON) beside the LLVM anchor (RESULT lines).

usage: ratios.py JMH_JSON [ANCHOR_OUTPUT]
Medians are compared with medians; the ratio is jitmem / LLVM, so below 1 means jitmem is faster.
"""
import json
import re
import sys

# jitmem backend type -> the anchor's mapper name
ANCHOR_MAPPER = {"inprocess": "inproc", "posix-shm": "shm"}
FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')


def jmh_cycles(path):
    rows = {}
    for entry in json.load(open(path)):
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
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    jitmem = jmh_cycles(sys.argv[1])
    anchor = anchor_cycles(sys.argv[2]) if len(sys.argv) == 3 else {}
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
