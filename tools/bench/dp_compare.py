#!/usr/bin/python3
"""One process against K under mpirun, on the shipped graphs: the README's measured table.

For each graph and batch size, trains `--epochs` epochs in one process and in K processes
(`mpirun -np K`), interleaved `--runs` times, and prints a Markdown table of medians: seconds per
epoch (training steps only, as the epoch lines report them), the gradient exchange per step
(waiting for the slowest process, then the sum; from the summary line of the K-process run) and
its share of the step, the speed-up, and both final test accuracies.

usage: /usr/bin/python3 tools/bench/dp_compare.py [--build build] [--ranks 2] [--runs 3]
       [--epochs 2] [--cases fashion_mlp:32,fashion_mlp_sgd:10] [--yield]
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EPOCH = re.compile(r"^epoch +\d+/\d+ .*\(([\d.]+) s\)$", re.M)
EXCHANGE = re.compile(r"gradient sum took ([\d.]+) us per step, ([\d.]+) % of the step")
FINAL = re.compile(r"final: .*test accuracy +([\d.]+)%")


def train(cmd):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    with tempfile.TemporaryDirectory() as out:
        text = subprocess.run(cmd + ["--out", out], check=True, capture_output=True, text=True,
                              env=env).stdout
    epochs = [float(s) for s in EPOCH.findall(text)]
    exchange = EXCHANGE.search(text)
    return (statistics.median(epochs), float(FINAL.search(text).group(1)),
            (float(exchange.group(1)), float(exchange.group(2))) if exchange else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--cases", default="mnist_mlp:10,fashion_mlp_sgd:10,fashion_mlp:32,fashion_mlp:256")
    ap.add_argument("--yield", dest="yield_", action="store_true",
                    help="mpirun --mca mpi_yield_when_idle 1 (for a machine shared with other jobs)")
    args = ap.parse_args()
    runner = os.path.join(args.build, "bin", "graph-runner")
    mpirun = ["mpirun", "-np", str(args.ranks)]
    if args.yield_:
        mpirun += ["--mca", "mpi_yield_when_idle", "1"]

    print(f"| graph | batch | 1 process s/epoch | {args.ranks} processes s/epoch | speed-up | "
          f"exchange us/step | exchange share of step | test acc 1 | test acc {args.ranks} |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in args.cases.split(","):
        name, batch = case.split(":")
        base = [runner, "train", os.path.join(ROOT, "graphs", name + ".yaml"), "--epochs",
                str(args.epochs), "--batch-size", batch]
        ones, manys = [], []
        for _ in range(args.runs):
            ones.append(train(base))
            manys.append(train(mpirun + base))
        one = statistics.median(r[0] for r in ones)
        many = statistics.median(r[0] for r in manys)
        us = statistics.median(r[2][0] for r in manys)
        share = statistics.median(r[2][1] for r in manys)
        print(f"| `{name}.yaml` | {batch} | {one:.2f} | {many:.2f} | {one / max(many, 1e-9):.2f} | {us:.0f} | "
              f"{share:.0f} % | {ones[0][1]:.2f} % | {manys[0][1]:.2f} % |", flush=True)


if __name__ == "__main__":
    main()
