#!/usr/bin/python3
"""Draws the figures of results directories as one PNG: for each measure jitmem beside LLVM, measured in the same run,
with the ratio jitmem / LLVM above each pair of bars. Reads what ratios.py reads, through ratios.py.

usage: charts.py OUT.png RESULTS_DIR...
Each measure is drawn from the last directory given that has it (a run of one stage leaves the other measures to
the runs before it); its title names that run. Times are medians, log scale where they span more than 30 times.
Needs matplotlib (Debian: python3-matplotlib, for /usr/bin/python3).
"""
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

import ratios  # noqa: E402

JITMEM_COLOURS = {"RW": "#1f5fa8", "RX": "#6fa0dc", "": "#1f5fa8"}
LLVM_COLOURS = {"RW": "#c2571a", "RX": "#f0a46a", "": "#c2571a"}
BACKEND_LABEL = {"inprocess": "in process", "posix-shm": "shared memory"}


class Panel:
    """One measure: groups along the axis, in each a pair of bars (jitmem, LLVM) per series (RW, RX, or one)."""

    def __init__(self, title, unit, llvm_name="LLVM"):
        self.title = title
        self.unit = unit
        self.llvm_name = llvm_name
        self.groups = []
        self.series = []
        self.pairs = {}

    def add(self, group, series, jitmem, llvm):
        if jitmem is None or llvm is None:
            return
        if group not in self.groups:
            self.groups.append(group)
        if series not in self.series:
            self.series.append(series)
        self.pairs[(group, series)] = (jitmem, llvm)


def panels(results):
    """The panels one results directory fills, by key."""
    entries = list(ratios.jmh_entries(results))
    anchor = ratios.anchor_rows(results)
    made = {}

    def panel(key, *args):
        return made.setdefault(key, Panel(*args))

    for entry in entries:
        params = entry["params"]
        name = entry["benchmark"]
        if name == "ChannelRoundTripBenchmark":
            for dispatcher in ("dynamic", "inplace"):
                panel("rpc", "Empty executor call (round trip)", "µs").add(
                    f"LLVM {dispatcher}\ndispatcher", "", entry["median"],
                    ratios.value(ratios.rpc_anchor(anchor, dispatcher), "median_us"))
        elif ratios.is_remote(entry):
            continue  # the remote panels below
        elif name == "MapperCycleBenchmark":
            backend = params["backend"]
            panel("cycle " + backend, f"Bare mapper cycle, {BACKEND_LABEL.get(backend, backend)}", "µs per cycle").add(
                params["size"], params["protection"], entry["median"],
                ratios.value(ratios.cycle_anchor(anchor, params), "median_us"))
        elif name == "InitializeBenchmark" and params["written"] == "kept":
            backend = params["backend"]
            llvm = ratios.cycle_anchor(anchor, params)
            init, deinit = ratios.value(llvm, "initialize_us"), ratios.value(llvm, "deinitialize_us")
            panel("initialize " + backend, f"Initialize + deinitialize, {BACKEND_LABEL.get(backend, backend)}",
                  "µs").add(params["size"], params["protection"], entry["median"],
                            init + deinit if init is not None and deinit is not None else None)
        elif name == "SlabAllocationBenchmark":
            backend = params["backend"]
            panel("slab", "Slab manager, 10,000 x 4 KiB", "µs per allocation").add(
                f"{BACKEND_LABEL.get(backend, backend)}\n{params['round']}", params["protection"], entry["median"],
                ratios.value(ratios.slab_anchor(anchor, params), params["round"] + "_us"))
        elif name == "LinkBenchmark":
            backend = params["backend"]
            objects = "1 object, 50 functions" if params["objects"] == "wide" else "1,000 small objects"
            panel("link", "Link + load + finalize", "µs per load", "JITLink").add(
                f"{BACKEND_LABEL.get(backend, backend)}\n{objects}", "", entry["median"],
                ratios.value(ratios.link_anchor(anchor, backend, params["objects"]), "load_median_us"))
    remote_titles = {"cycle": ("Copying backend, TLS 1.3, against LLVM over tcp: mapper cycle, RW", "µs per cycle"),
                     "slab": ("Copying backend, TLS 1.3, against LLVM over tcp: slab, 10,000 x 4 KiB",
                              "µs per allocation")}
    for kind, way, label, jitmem, llvm, _, _, _ in ratios.remote_rows(
            [e for e in entries if ratios.is_remote(e)], anchor):
        panel("remote " + kind, *remote_titles[kind]).add(f"{label}\n{way}", "", jitmem, llvm)
    for row in ratios.link_memory_rows(results):
        backend = row["backend"]
        objects = "1 object" if row["objects"] == "1" else f"{int(row['objects']):,} objects"
        panel("link memory", "Executor memory per linked object", "bytes", "JITLink").add(
            f"{BACKEND_LABEL.get(backend, backend)}\n{objects}", "", float(row["executor_bytes_per_object"]),
            ratios.value(ratios.link_anchor(anchor, backend, row["objects"]), "executor_bytes_per_object"))
    return made


ORDER = ["rpc", "cycle inprocess", "cycle posix-shm", "initialize inprocess", "initialize posix-shm", "slab", "link",
         "link memory", "remote cycle", "remote slab"]


def draw(axes, panel, run):
    width = 0.8 / (2 * len(panel.series))
    values = [v for pair in panel.pairs.values() for v in pair]
    log = max(values) / min(values) > 30
    for index, group in enumerate(panel.groups):
        for number, series in enumerate(panel.series):
            if (group, series) not in panel.pairs:
                continue
            jitmem, llvm = panel.pairs[(group, series)]
            left = index - 0.4 + 2 * number * width
            suffix = f" {series}" if series else ""
            axes.bar(left + width / 2, jitmem, width, color=JITMEM_COLOURS[series], label="jitmem" + suffix)
            axes.bar(left + 1.5 * width, llvm, width, color=LLVM_COLOURS[series], label=panel.llvm_name + suffix)
            axes.annotate(f"{jitmem / llvm:.2f}", (left + width, max(jitmem, llvm)), xytext=(0, 3),
                          textcoords="offset points", ha="center", va="bottom", fontsize=8, fontweight="bold")
    axes.set_xticks(range(len(panel.groups)))
    axes.set_xticklabels(panel.groups, fontsize=8)
    if log:
        axes.set_yscale("log")
        axes.set_ylim(min(values) / 2, max(values) * 4)
    else:
        axes.set_ylim(0, max(values) * 1.2)
    axes.set_ylabel(panel.unit + (", log scale" if log else ""), fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    axes.set_title(f"{panel.title}\n{run}", fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    axes.legend(unique.values(), unique.keys(), fontsize=7, loc="upper left", ncol=2)


def run_label(results):
    """A results directory's name, as run.sh names them (UTC start time), in words."""
    name = os.path.basename(os.path.normpath(results))
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})\d{2}Z", name)
    return f"run of {'-'.join(match.groups()[:3])} {match.group(4)}:{match.group(5)} UTC" if match else name


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    latest = {}
    for results in sys.argv[2:]:
        for key, panel in panels(results).items():
            if panel.pairs:
                latest[key] = (panel, run_label(results))
    keys = [key for key in ORDER if key in latest]
    if not keys:
        sys.exit("charts.py: nothing to draw in " + " ".join(sys.argv[2:]))
    columns = 2
    rows = (len(keys) + columns - 1) // columns
    figure, grid = plt.subplots(rows, columns, figsize=(13, 4.2 * rows), squeeze=False)
    for axes, key in zip(grid.flat, keys):
        draw(axes, *latest[key])
    for axes in list(grid.flat)[len(keys):]:
        axes.set_visible(False)
    figure.suptitle("jitmem beside LLVM 19, medians; the number over each pair is jitmem / LLVM (below 1: jitmem "
                    "faster or smaller)", fontsize=11)
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    figure.savefig(out, dpi=90)
    print("chart in " + out)


if __name__ == "__main__":
    main()
