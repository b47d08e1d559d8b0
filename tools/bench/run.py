#!/usr/bin/python3
"""Side-by-side benchmark: gradflow, PyTorch and the BLAS floor on the same network and data.

For each batch size and thread count, runs `graph-runner bench`, tools/bench/torch_mlp.py and
the BLAS floor program `--runs` times, interleaved (gradflow, PyTorch, floor, then again), so
that a change in machine load hits all three alike. Prints a Markdown table of medians (seconds
per epoch of training steps; evaluation is not included), the ratios, and the bars of issues 7
and 14 (gradflow within 1.3 x the BLAS floor at batch 256). tools/bench/matrix.py compares more
networks, optimizers and batch sizes.

usage: /usr/bin/python3 tools/bench/run.py [--build build] [--runs 3] [--epochs 2] [--warmup 1]
                                           [--batches 10,256] [--threads 1,2]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def flags_of_interest():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return " ".join(f for f in ("avx2", "avx512f") if f in flags)
    except OSError:
        pass
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--graph", default=os.path.join(ROOT, "graphs", "fashion_mlp_sgd.yaml"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batches", default="10,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch (not installed)")
    args = ap.parse_args()

    runner = os.path.join(args.build, "bin", "graph-runner")
    floor = os.path.join(args.build, "bin", "gradflow_blas_floor")
    torch_script = os.path.join(HERE, "torch_mlp.py")
    if not args.no_torch:
        try:
            subprocess.run(["/usr/bin/python3", "-c", "import torch"], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            print("PyTorch not found for /usr/bin/python3 (apt-get install python3-torch): "
                  "skipping it", file=sys.stderr)
            args.no_torch = True

    batches = [int(b) for b in args.batches.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    common = ["--epochs", str(args.epochs), "--warmup", str(args.warmup)]
    results = {}  # (tool, batch, threads) -> list of runs
    for run in range(args.runs):
        for b in batches:
            for t in threads:
                jobs = [("gradflow", [runner, "bench", args.graph, "--batch-size", str(b),
                                      "--threads", str(t), "--json"] + common)]
                if not args.no_torch:
                    jobs.append(("pytorch", ["/usr/bin/python3", torch_script, "--batch-size", str(b),
                                             "--threads", str(t)] + common))
                jobs.append(("floor", [floor, "--batch", str(b), "--threads", str(t)] + common))
                for tool, cmd in jobs:
                    r = run_json(cmd)
                    results.setdefault((tool, b, t), []).append(r)
                    print(f"run {run + 1}/{args.runs} batch {b} threads {t} {tool}: "
                          f"{r['epoch_s']:.3f} s/epoch", file=sys.stderr, flush=True)

    def med(tool, b, t, key="epoch_s"):
        runs = results.get((tool, b, t))
        return statistics.median(r[key] for r in runs) if runs else float("nan")

    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()} ({flags_of_interest()}); "
          f"{args.runs} runs x {args.epochs} timed epochs (+{args.warmup} warm-up), medians")
    print()
    print("| batch | threads | gradflow s/epoch | PyTorch s/epoch | BLAS floor s/epoch "
          "| gradflow/PyTorch | gradflow/floor | gradflow eval s | gradflow test acc "
          "| PyTorch test acc | gradflow peak MiB | PyTorch peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for b in batches:
        for t in threads:
            g, p, f = med("gradflow", b, t), med("pytorch", b, t), med("floor", b, t)
            print(f"| {b} | {t} | {g:.3f} | {p:.3f} | {f:.3f} | {g / p:.2f} | {g / f:.2f} "
                  f"| {med('gradflow', b, t, 'eval_s'):.3f} "
                  f"| {100 * med('gradflow', b, t, 'test_accuracy'):.2f} % "
                  f"| {100 * med('pytorch', b, t, 'test_accuracy'):.2f} % "
                  f"| {med('gradflow', b, t, 'peak_rss_kib') / 1024:.0f} "
                  f"| {med('pytorch', b, t, 'peak_rss_kib') / 1024:.0f} |")
    print()
    bars = []
    for b in batches:
        gbest_t = min(threads, key=lambda t: med("gradflow", b, t))
        pbest_t = min(threads, key=lambda t: med("pytorch", b, t)) if not args.no_torch else threads[0]
        gbest, pbest = med("gradflow", b, gbest_t), med("pytorch", b, pbest_t)
        line = (f"batch {b}: gradflow best {gbest:.3f} s ({gbest_t} thr), PyTorch best {pbest:.3f} s "
                f"({pbest_t} thr): ratio {gbest / pbest:.2f}")
        limit = 0.25 if b < 100 else 0.9
        bars.append((f"batch {b}: gradflow best <= {limit} x PyTorch best", gbest / pbest <= limit))
        if b >= 100 and 1 in threads:
            r1 = med("gradflow", b, 1) / med("pytorch", b, 1)
            bars.append((f"batch {b}, one thread each: gradflow <= 1.05 x PyTorch ({r1:.2f})", r1 <= 1.05))
            for t in threads:
                rf = med("gradflow", b, t) / med("floor", b, t)
                bars.append((f"batch {b}, {t} thread(s): gradflow <= 1.3 x BLAS floor ({rf:.2f})", rf <= 1.3))
        print(line)
    gmem = max(med("gradflow", b, t, "peak_rss_kib") for b in batches for t in threads)
    pmem = min(med("pytorch", b, t, "peak_rss_kib") for b in batches for t in threads)
    bars.append((f"peak memory: gradflow <= 1/3 of PyTorch ({gmem / 1024:.0f} / {pmem / 1024:.0f} MiB "
                 f"= {gmem / pmem:.2f})", gmem <= pmem / 3))
    print()
    for text, ok in bars:
        print(f"- [{'x' if ok else ' '}] {text}")


if __name__ == "__main__":
    main()
