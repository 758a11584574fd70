#!/usr/bin/env python3
"""Prints the tables of a results directory: jitmem (JMH JSON, jmh*.json) beside the LLVM anchor (RESULT lines in
anchor.txt, when present), measured in the same run.

usage: ratios.py RESULTS_DIR
Medians are compared with medians; the ratio is jitmem / LLVM, so below 1 means jitmem is faster (0.20 is 5 times
faster).
"""
import glob
import json
import os
import re
import sys

# jitmem backend type -> the anchor's mapper name and slab manager name
ANCHOR_MAPPER = {"inprocess": "inproc", "posix-shm": "shm"}
ANCHOR_MANAGER = {"inprocess": "map-ip-slab64M", "posix-shm": "map-shm-slab64M"}
FIELD = re.compile(r'(\w+)=("[^"]*"|\S+)')


def jmh_entries(results):
    paths = sorted(glob.glob(os.path.join(results, "jmh*.json")), key=os.path.getmtime)
    for path in paths:
        for entry in json.load(open(path)):
            metric = entry["primaryMetric"]
            if metric["scoreUnit"] != "us/op":
                sys.exit("unexpected JMH unit: " + metric["scoreUnit"])
            yield entry["benchmark"].rsplit(".", 2)[-2:], entry.get("params", {}), metric


def anchor_results(results):
    path = os.path.join(results, "anchor.txt")
    if not os.path.exists(path):
        return []
    rows = []
    for line in open(path):
        if line.startswith("RESULT "):
            rows.append({key: value.strip('"') for key, value in FIELD.findall(line[len("RESULT "):])})
    return rows


def anchor_value(rows, key, **match):
    for row in reversed(rows):
        if all(row.get(k) == v for k, v in match.items()) and key in row:
            return float(row[key])
    return None


def ratio(jitmem, llvm):
    return f"{jitmem / llvm:.2f}" if llvm else "-"


def number(value):
    return f"{value:.2f}" if value is not None else "-"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results = sys.argv[1]
    entries = list(jmh_entries(results))
    anchor = anchor_results(results)
    env_path = os.path.join(results, "env.txt")
    if os.path.exists(env_path):
        print(open(env_path).read())

    rpc = [(p, m) for (c, b), p, m in entries if c == "ChannelRoundTripBenchmark"]
    if rpc:
        dynamic = anchor_value(anchor, "roundtrip_us", rpc="empty-wrapper-call", dispatcher="dynamic")
        inplace = anchor_value(anchor, "roundtrip_us", rpc="empty-wrapper-call", dispatcher="inplace")
        print("## Round trip of an empty executor call, µs\n")
        print("| jitmem median | jitmem p90 | LLVM dynamic | LLVM inplace | jitmem / LLVM dynamic | jitmem / LLVM inplace |")
        print("|---|---|---|---|---|---|")
        for _, metric in rpc:
            median = metric["scorePercentiles"]["50.0"]
            print(f"| {median:.2f} | {metric['scorePercentiles']['90.0']:.2f} | {number(dynamic)} | "
                  f"{number(inplace)} | {ratio(median, dynamic)} | {ratio(median, inplace)} |")
        print()

    cycles = [(p, m) for (c, b), p, m in entries if c == "MapperCycleBenchmark"]
    if cycles:
        print("## Mapper cycle, one RW segment (reserve, prepare + copy, initialize, deinitialize, release), µs\n")
        print("retainedBytes: released reservations retained for reuse (16777216, the backends' default) or none (0, "
              "the bare mapper, which maps and unmaps every cycle like the anchor)\n")
        print("| backend | size | retainedBytes | jitmem median | jitmem p90 | LLVM median | jitmem / LLVM |")
        print("|---|---|---|---|---|---|---|")
        for params, metric in cycles:
            median = metric["scorePercentiles"]["50.0"]
            llvm = anchor_value(anchor, "cycle_us", mapper=ANCHOR_MAPPER.get(params["backend"]), size=params["size"])
            print(f"| {params['backend']} | {params['size']} | {params.get('retainedBytes', '-')} | {median:.2f} | "
                  f"{metric['scorePercentiles']['90.0']:.2f} | {number(llvm)} | {ratio(median, llvm)} |")
        print()

    inits = [(p, m) for (c, b), p, m in entries if c == "InitializeBenchmark"]
    if inits:
        print("## Initialize + deinitialize after the content was written, µs (flat in the size is the goal)\n")
        print("written: rewritten into a fresh reservation before each call, as the anchor's cycle does, or kept "
              "(written once, the same reservation initialized and deinitialized over and over)\n")
        print("| backend | size | written | jitmem median | LLVM initialize + deinitialize | jitmem / LLVM |")
        print("|---|---|---|---|---|---|")
        for params, metric in inits:
            median = metric["scorePercentiles"]["50.0"]
            match = dict(mapper=ANCHOR_MAPPER.get(params["backend"]), size=params["size"])
            init = anchor_value(anchor, "initialize_us", **match)
            deinit = anchor_value(anchor, "deinitialize_us", **match)
            llvm = init + deinit if init is not None and deinit is not None else None
            print(f"| {params['backend']} | {params['size']} | {params.get('written', '-')} | {median:.2f} | "
                  f"{number(llvm)} | {ratio(median, llvm)} |")
        print()

    slabs = [(p, m) for (c, b), p, m in entries if c == "SlabAllocationBenchmark"]
    if slabs:
        print("## Slab manager: 10,000 allocations of 4 KiB (allocate, write, finalize), µs per allocation\n")
        print("| backend | round | jitmem median | LLVM manager | LLVM median | jitmem / LLVM |")
        print("|---|---|---|---|---|---|")
        for params, metric in slabs:
            median = metric["scorePercentiles"]["50.0"]
            manager = ANCHOR_MANAGER.get(params["backend"], "-")
            llvm = anchor_value(anchor, params["round"] + "_alloc_finalize_us", manager=manager)
            print(f"| {params['backend']} | {params['round']} | {median:.2f} | {manager} | {number(llvm)} | "
                  f"{ratio(median, llvm)} |")
        print()


if __name__ == "__main__":
    main()
