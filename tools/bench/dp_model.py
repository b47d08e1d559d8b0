#!/usr/bin/python3
"""When does data parallelism pay? The README's model on paper, fed with measured numbers.

For each shipped graph, times `graph-runner bench` at two batch sizes and fits the time of one
training step as t(B) = a + b*B: b is the part that data parallelism splits (forward and
backward, per sample; with the FLOPs bench counts, f/b is the sustained GFLOP/s), a the part
every process repeats (the optimizer's update, per-step overhead). The allreduce of the n
parameter gradients (float32) is modelled as a ring over K processes:

    T_ar(K) = 2 (K-1) alpha + 2 (K-1)/K * 4n / bandwidth

A step on K processes takes a + b*B/K + T_ar(K) instead of a + b*B, so data parallelism pays
once b*B*(1 - 1/K) > T_ar(K), i.e. from the crossover batch B* = T_ar(K) / (b (1 - 1/K)).

usage: /usr/bin/python3 tools/bench/dp_model.py [--build build] [--runs 3] [--ranks 2,8]
       [--alpha-10g 20] [--alpha-100g 2]
"""
import argparse
import glob
import json
import os
import statistics
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def bench(runner, graph, batch, runs):
    steps, flops_per_sample = [], None
    for _ in range(runs):
        out = subprocess.run([runner, "bench", graph, "--batch-size", str(batch), "--epochs", "3",
                              "--warmup", "1", "--json"], check=True, capture_output=True,
                             text=True).stdout
        j = json.loads(out.strip().splitlines()[-1])
        steps.append(j["step_us"])
        flops_per_sample = j["gflop_per_epoch"] * 1e9 / j["train_samples"]
        samples = j["train_samples"]
    return statistics.median(steps), flops_per_sample, samples


def parameter_count(runner, graph):
    """Floats in model.safetensors after `train --epochs 0`: what the allreduce carries."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([runner, "train", graph, "--epochs", "0", "--out", out], check=True,
                       capture_output=True)
        with open(os.path.join(out, "model.safetensors"), "rb") as f:
            header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    count = 0
    for name, t in header.items():
        if name != "__metadata__":
            n = 1
            for d in t["shape"]:
                n *= d
            count += n
    return count


def graph_batch(graph):
    with open(graph) as f:
        for line in f:
            if line.strip().startswith("batch_size:"):
                return int(line.split(":")[1].split("#")[0])
    return 32


def allreduce_us(n, k, alpha_us, bytes_per_us):
    return 2 * (k - 1) * alpha_us + 2 * (k - 1) / k * 4 * n / bytes_per_us


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ranks", default="2,8")
    ap.add_argument("--alpha-10g", type=float, default=20.0, help="latency per message, us")
    ap.add_argument("--alpha-100g", type=float, default=2.0, help="latency per message, us")
    args = ap.parse_args()
    runner = os.path.join(args.build, "bin", "graph-runner")
    links = [("10 Gbit/s", args.alpha_10g, 10e9 / 8 / 1e6), ("100 Gbit/s", args.alpha_100g, 100e9 / 8 / 1e6)]
    ranks = [int(k) for k in args.ranks.split(",")]

    head = "| graph | params n | MFLOP/sample | b us/sample | GFLOP/s | a us/step |"
    rule = "|---|---:|---:|---:|---:|---:|"
    for link, _, _ in links:
        for k in ranks:
            head += f" T_ar {link} K={k} us | B* {link} K={k} |"
            rule += "---:|---:|"
    print(head)
    print(rule)
    for graph in sorted(glob.glob(os.path.join(ROOT, "graphs", "*.yaml"))):
        b0 = graph_batch(graph)
        small, flops, samples = bench(runner, graph, b0, args.runs)
        b1 = min(8 * b0, samples // 2)
        large, _, _ = bench(runner, graph, b1, args.runs)
        per_sample = max((large - small) / (b1 - b0), 1e-9)
        fixed = max(small - per_sample * b0, 0.0)
        n = parameter_count(runner, graph)
        row = (f"| `{os.path.basename(graph)}` | {n:,} | {flops / 1e6:.3f} | {per_sample:.3f} | "
               f"{flops / per_sample / 1e3:.1f} | {fixed:.1f} |")
        for _, alpha, bw in links:
            for k in ranks:
                t = allreduce_us(n, k, alpha, bw)
                row += f" {t:.1f} | {t / (per_sample * (1 - 1 / k)):,.0f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
