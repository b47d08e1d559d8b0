#!/usr/bin/python3
"""Side-by-side benchmark of LeNet-5 on Fashion-MNIST: gradflow against PyTorch.

Runs `graph-runner bench graphs/fashion_cnn.yaml` and tools/bench/torch_lenet.py (the same
network, data, batch and optimizer) `--runs` times for each thread count, interleaved
(gradflow, PyTorch, then again), so that a change in machine load hits both alike. Besides the
seconds per epoch of training steps that each tool reports (wall clock, evaluation excluded),
it records the CPU seconds of each whole process (user + system: data loading, training and
evaluation), which a shared machine disturbs less. Prints a Markdown table of medians, the
ratios and the bars of issue 13.

usage: /usr/bin/python3 tools/bench/cnn.py [--build build] [--runs 3] [--epochs 1] [--warmup 1]
                                           [--threads 1,2] [--batch 64]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

from run import cpu_model, flags_of_interest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd):
    """The last stdout line of cmd as JSON, plus the process's CPU seconds as 'cpu_s'."""
    before = children_cpu()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu_s"] = children_cpu() - before
    return result


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--graph", default=os.path.join(ROOT, "graphs", "fashion_cnn.yaml"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()

    runner = os.path.join(args.build, "bin", "graph-runner")
    torch_script = os.path.join(HERE, "torch_lenet.py")
    try:
        subprocess.run(["/usr/bin/python3", "-c", "import torch"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        sys.exit("PyTorch not found for /usr/bin/python3 (apt-get install python3-torch)")

    threads = [int(t) for t in args.threads.split(",")]
    common = ["--epochs", str(args.epochs), "--warmup", str(args.warmup)]
    results = {}  # (tool, threads) -> list of runs
    loads = [load_average()]
    for run in range(args.runs):
        for t in threads:
            jobs = [("gradflow", [runner, "bench", args.graph, "--batch-size", str(args.batch),
                                  "--threads", str(t), "--json"] + common),
                    ("pytorch", ["/usr/bin/python3", torch_script, "--net", "lenet",
                                 "--batch-size", str(args.batch), "--threads", str(t)] + common)]
            for tool, cmd in jobs:
                r = timed(cmd)
                results.setdefault((tool, t), []).append(r)
                print(f"run {run + 1}/{args.runs} threads {t} {tool}: {r['epoch_s']:.3f} s/epoch, "
                      f"{r['cpu_s']:.1f} CPU s, load {load_average()}", file=sys.stderr, flush=True)
        loads.append(load_average())

    def med(tool, t, key="epoch_s"):
        runs = results.get((tool, t))
        return statistics.median(r[key] for r in runs) if runs else float("nan")

    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()} ({flags_of_interest()}); load average "
          f"{' -> '.join(loads)}; {args.runs} runs x {args.epochs} timed epochs "
          f"(+{args.warmup} warm-up), batch {args.batch}, medians")
    print()
    print("| threads | gradflow s/epoch | PyTorch s/epoch | ratio | gradflow CPU s | PyTorch CPU s "
          "| CPU ratio | gradflow test acc | PyTorch test acc | gradflow peak MiB "
          "| PyTorch peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for t in threads:
        g, p = med("gradflow", t), med("pytorch", t)
        gc, pc = med("gradflow", t, "cpu_s"), med("pytorch", t, "cpu_s")
        print(f"| {t} | {g:.2f} | {p:.2f} | {g / p:.2f} | {gc:.1f} | {pc:.1f} | {gc / pc:.2f} "
              f"| {100 * med('gradflow', t, 'test_accuracy'):.2f} % "
              f"| {100 * med('pytorch', t, 'test_accuracy'):.2f} % "
              f"| {med('gradflow', t, 'peak_rss_kib') / 1024:.0f} "
              f"| {med('pytorch', t, 'peak_rss_kib') / 1024:.0f} |")
    print()
    bars = []
    if 1 in threads:
        r1 = med("gradflow", 1) / med("pytorch", 1)
        bars.append((f"one thread each: gradflow <= 1.0 x PyTorch ({r1:.2f})", r1 <= 1.0))
    gbest_t = min(threads, key=lambda t: med("gradflow", t))
    pbest_t = min(threads, key=lambda t: med("pytorch", t))
    rb = med("gradflow", gbest_t) / med("pytorch", pbest_t)
    bars.append((f"each at its best thread count: gradflow ({gbest_t} thr) <= 0.8 x PyTorch "
                 f"({pbest_t} thr) ({rb:.2f})", rb <= 0.8))
    gmem = max(med("gradflow", t, "peak_rss_kib") for t in threads)
    pmem = min(med("pytorch", t, "peak_rss_kib") for t in threads)
    bars.append((f"peak memory: gradflow <= 1/2 of PyTorch ({gmem / 1024:.0f} / {pmem / 1024:.0f} "
                 f"MiB = {gmem / pmem:.2f})", gmem <= pmem / 2))
    for text, ok in bars:
        print(f"- [{'x' if ok else ' '}] {text}")


if __name__ == "__main__":
    main()
