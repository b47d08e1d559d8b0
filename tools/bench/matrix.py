#!/usr/bin/python3
"""The benchmark matrix: gradflow against PyTorch on several networks, optimizers, batch sizes
and thread counts, in one interleaved run.

Cells: networks 784-100-10 tanh, 784-512-256-10 ReLU and 784-1024-1024-1024-10 ReLU;
optimizers SGD (lr 0.01), SGD + momentum 0.9 (lr 0.01) and Adam (lr 0.001); batch 1, 10, 64
and 256; 1 and 2 threads. All train on Fashion-MNIST (60,000 samples) with softmax
cross-entropy; batches are gathered from a new random permutation each round.

What is timed: a fixed number of training steps per cell (the first steps of a shuffled epoch),
the same number for both tools, chosen so that a round takes about --seconds; the reported
figure is the time per step (median of the timed rounds) and, from it, the time per epoch
(60,000 / batch steps). A whole epoch of the large network at batch 1 would take minutes on each
side, and the ratio does not depend on how many steps are timed.

gradflow runs as `graph-runner bench GRAPH --steps N` on a graph this script writes into a
temporary folder; PyTorch runs in one long-lived `torch_mlp.py --serve` process (the data is
loaded once; each cell builds a fresh model and optimizer). For every repetition, each cell runs
gradflow and PyTorch back to back, alternating which goes first, so that machine load hits both
alike; medians over the repetitions. Each cell's ratio takes each side at its best thread count.
PyTorch runs with T threads as torch.set_num_threads(T) plus OpenBLAS at T threads, and also as
torch.set_num_threads(1) leaves it with Debian's OpenBLAS (products on every core: "1+2").

usage: /usr/bin/python3 tools/bench/matrix.py [--build build] [--runs 3] [--seconds 0.25]
           [--nets ...] [--optimizers sgd,momentum,adam] [--batches 1,10,64,256]
           [--threads 1,2] [--breakdown] [--quick] [--no-torch]
--quick: one small cell set, three steps per round, one repetition: proves the harness works
(the CTest `bench: matrix harness` runs it); its timings mean nothing.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
SKIP = 77  # CTest's skip code

NETS = {
    "784-100-10 tanh": ([784, 100, 10], "tanh"),
    "784-512-256-10 relu": ([784, 512, 256, 10], "relu"),
    "784-1024-1024-1024-10 relu": ([784, 1024, 1024, 1024, 10], "relu"),
}
OPTIMIZERS = {  # name -> (graph optimizer mapping, lr, momentum, update bytes/parameter guess)
    "sgd": ("{name: sgd, lr: 0.01}", 0.01, 0.0, 1e-9),
    "momentum": ("{name: sgd, lr: 0.01, momentum: 0.9}", 0.01, 0.9, 1.5e-9),
    "adam": ("{name: adam, lr: 0.001}", 0.001, 0.0, 3e-9),
}
TRAIN_SAMPLES = 60000


def graph_text(layers, activation, optimizer, batch):
    act = {"tanh": "Tanh", "relu": "ReLU"}[activation]
    lines = ["format: gradflow/1", "name: matrix", "inputs:",
             f"  x: {{shape: [{layers[0]}]}}", f"  y: {{shape: [{layers[-1]}]}}", "nodes:"]
    prev = "x"
    for i, width in enumerate(layers[1:]):
        lines.append(f"  - {{name: z{i}, op: Linear, inputs: [{prev}], out_features: {width}}}")
        prev = f"z{i}"
        if i < len(layers) - 2:
            lines.append(f"  - {{name: a{i}, op: {act}, inputs: [{prev}]}}")
            prev = f"a{i}"
    lines += [f"  - {{name: p, op: Softmax, inputs: [{prev}]}}",
              "  - {name: loss, op: CrossEntropy, inputs: [p, y]}",
              "loss: loss", "predict: p", "train:", "  data: {dataset: fashion-mnist}",
              f"  batch_size: {batch}", "  epochs: 1", f"  optimizer: {optimizer}", "  seed: 0"]
    return "\n".join(lines) + "\n"


def parameter_count(layers):
    return sum(a * b + b for a, b in zip(layers, layers[1:]))


def steps_for(layers, optimizer, batch, seconds):
    """Steps per round so that a round takes about `seconds` (a rough model of a step)."""
    params = parameter_count(layers)
    estimate = 15e-6 + params * (6.0 * batch / 25e9 + OPTIMIZERS[optimizer][3])
    return max(5, min(TRAIN_SAMPLES // batch, round(seconds / estimate)))


class TorchServer:
    def __init__(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "torch_mlp.py"),
                                      "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)

    def run(self, cell):
        self.proc.stdin.write(json.dumps(cell) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("torch_mlp.py --serve stopped")
        return json.loads(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def run_gradflow(runner, graph, batch, threads, steps, rounds, warmup, breakdown=False):
    cmd = [runner, "bench", graph, "--batch-size", str(batch), "--threads", str(threads),
           "--steps", str(steps), "--epochs", str(rounds), "--warmup", str(warmup), "--json"]
    if breakdown:
        cmd.append("--breakdown")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=3, help="repetitions of the whole matrix")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds per run (median)")
    ap.add_argument("--seconds", type=float, default=0.25, help="target length of a round")
    ap.add_argument("--nets", default=",".join(NETS), help="comma-separated keys of NETS")
    ap.add_argument("--optimizers", default="sgd,momentum,adam")
    ap.add_argument("--batches", default="1,10,64,256")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--breakdown", action="store_true",
                    help="then time gradflow's step by part in every cell (one more run)")
    ap.add_argument("--quick", action="store_true", help="a tiny matrix to test the harness")
    ap.add_argument("--no-torch", action="store_true", help="gradflow only")
    args = ap.parse_args()
    if args.quick:
        args.nets, args.optimizers, args.batches = "784-100-10 tanh", "sgd,adam", "10"
        args.runs, args.rounds = 1, 1
    args.nets = args.nets.split(",")
    args.optimizers = args.optimizers.split(",")
    args.batches = [int(b) for b in args.batches.split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    return args


def torch_available():
    return subprocess.run(["/usr/bin/python3", "-c", "import torch"],
                          capture_output=True).returncode == 0


def cells(args):
    for net in args.nets:
        for opt in args.optimizers:
            for batch in args.batches:
                yield net, opt, batch


def configs(args, tool):
    """(label, threads, BLAS threads) each tool runs every cell with."""
    out = [(str(t), t, t) for t in args.threads]
    if tool == "pytorch" and max(args.threads) > 1:
        # What torch.set_num_threads(1) gives with Debian's OpenBLAS: products on every core.
        out.append((f"1+{max(args.threads)}", 1, max(args.threads)))
    return out


def measure(args, runner, folder, torch_server):
    """results[(net, opt, batch, config label, tool)] = list of step_us, one per repetition."""
    results = {}
    for run in range(args.runs):
        for n, (net, opt, batch) in enumerate(cells(args)):
            layers, act = NETS[net]
            graph = os.path.join(folder, f"{net.replace(' ', '_')}-{opt}-{batch}.yaml")
            with open(graph, "w") as f:
                f.write(graph_text(layers, act, OPTIMIZERS[opt][0], batch))
            steps = 3 if args.quick else steps_for(layers, opt, batch, args.seconds)
            jobs = [("gradflow", c) for c in configs(args, "gradflow")]
            if torch_server:
                jobs += [("pytorch", c) for c in configs(args, "pytorch")]
            # Interleaved: the two tools alternate, and which one starts alternates too.
            jobs.sort(key=lambda j: (j[1][1], j[1][2], j[0]), reverse=(run + n) % 2 == 1)
            for tool, (label, threads, blas) in jobs:
                if tool == "gradflow":
                    r = run_gradflow(runner, graph, batch, threads, steps, args.rounds, 1)
                else:
                    r = torch_server.run({
                        "layers": layers, "activation": act, "optimizer": opt,
                        "lr": OPTIMIZERS[opt][1], "momentum": OPTIMIZERS[opt][2],
                        "batch": batch, "threads": threads, "blas_threads": blas,
                        "steps": steps, "rounds": args.rounds, "warmup": 1,
                        "seconds": args.seconds})
                results.setdefault((net, opt, batch, label, tool), []).append(r["step_us"])
                print(f"run {run + 1}/{args.runs} {net} {opt} batch {batch} threads {label} "
                      f"{tool}: {r['step_us']:.1f} us/step ({steps} steps)",
                      file=sys.stderr, flush=True)
    return results


def best(results, key, tool, labels):
    """(median step_us, config label) at the tool's best thread configuration."""
    options = [(statistics.median(results[key + (c, tool)]), c) for c in labels
               if key + (c, tool) in results]
    return min(options) if options else (float("nan"), "-")


def print_table(args, results, have_torch):
    glabels = [c[0] for c in configs(args, "gradflow")]
    plabels = [c[0] for c in configs(args, "pytorch")] if have_torch else []
    print(f"| network | optimizer | batch | gradflow µs/step ({' / '.join(glabels)} thr) "
          f"| PyTorch µs/step ({' / '.join(plabels)} thr) | gradflow s/epoch (best) "
          f"| PyTorch s/epoch (best) | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    ratios, worst = [], None
    for net, opt, batch in cells(args):
        key = (net, opt, batch)

        def per_config(tool, labels):
            return " / ".join(f"{statistics.median(results[key + (c, tool)]):.1f}"
                              for c in labels if key + (c, tool) in results) or "-"

        g, gc = best(results, key, "gradflow", glabels)
        p, pc = best(results, key, "pytorch", plabels)
        steps = math.ceil(TRAIN_SAMPLES / batch)
        ratio = g / p if have_torch else float("nan")
        if have_torch:
            ratios.append(ratio)
            if worst is None or ratio > worst[0]:
                worst = (ratio, key)
        print(f"| {net} | {opt} | {batch} | {per_config('gradflow', glabels)} "
              f"| {per_config('pytorch', plabels)} | {g * steps / 1e6:.3f} ({gc}) "
              f"| {p * steps / 1e6:.3f} ({pc}) | {ratio:.2f} |")
    return ratios, worst


def print_bars(args, results, ratios, worst):
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print()
    print(f"geometric mean of the ratios: {geomean:.2f} over {len(ratios)} cells; "
          f"worst: {worst[0]:.2f} ({worst[1][0]}, {worst[1][1]}, batch {worst[1][2]})")
    bars = [(f"every cell gradflow <= 1.0 x PyTorch (worst {worst[0]:.2f})", worst[0] <= 1.0),
            (f"geometric mean <= 0.6 x ({geomean:.2f})", geomean <= 0.6)]
    key = ("784-512-256-10 relu", "adam", 64)
    if any(k[:3] == key for k in results):
        glabels = [c[0] for c in configs(args, "gradflow")]
        plabels = [c[0] for c in configs(args, "pytorch")]
        r = best(results, key, "gradflow", glabels)[0] / best(results, key, "pytorch", plabels)[0]
        bars.append((f"784-512-256-10 ReLU, Adam, batch 64 <= 0.8 x ({r:.2f})", r <= 0.8))
    for text, ok in bars:
        print(f"- [{'x' if ok else ' '}] {text}")


def print_breakdown(args, runner, folder):
    """Share of gradflow's step per part, in each cell, each thread count."""
    print()
    print("| network | optimizer | batch | threads | µs/step | activations % | softmax+CE % "
          "| Linear % | optimizer % | gather % | rest % |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for net, opt, batch in cells(args):
        layers, act = NETS[net]
        graph = os.path.join(folder, f"{net.replace(' ', '_')}-{opt}-{batch}.yaml")
        steps = 3 if args.quick else steps_for(layers, opt, batch, args.seconds)
        for threads in args.threads:
            r = run_gradflow(runner, graph, batch, threads, steps, args.rounds, 1, breakdown=True)
            parts = r["breakdown_us"]
            total = sum(parts.values())

            def share(*prefixes):
                return 100 * sum(v for k, v in parts.items() if k.startswith(prefixes)) / total

            a, l = share("Tanh.", "ReLU."), share("Softmax.", "CrossEntropy.")
            lin, o, gather = share("Linear."), share("optimizer"), share("load_batch")
            print(f"| {net} | {opt} | {batch} | {threads} | {total:.1f} | {a:.1f} | {l:.1f} "
                  f"| {lin:.1f} | {o:.1f} | {gather:.1f} | {100 - a - l - lin - o - gather:.1f} |",
                  flush=True)


def check_complete(args, results, have_torch):
    """Exits 1 unless every cell has a finite time from each tool in each configuration."""
    missing = []
    for net, opt, batch in cells(args):
        tools = ["gradflow"] + (["pytorch"] if have_torch else [])
        for tool in tools:
            for label, _, _ in configs(args, tool):
                runs = results.get((net, opt, batch, label, tool), [])
                if len(runs) != args.runs or not all(math.isfinite(r) and r > 0 for r in runs):
                    missing.append(f"{net} {opt} batch {batch} {tool} threads {label}")
    if missing:
        print("incomplete results: " + "; ".join(missing), file=sys.stderr)
        sys.exit(1)


def main():
    args = parse_args()
    runner = os.path.join(args.build, "bin", "graph-runner")
    if not os.path.exists(FASHION):
        print(f"{FASHION} is missing (tools/setup.sh --data): skipping", file=sys.stderr)
        sys.exit(SKIP)
    have_torch = not args.no_torch and torch_available()
    if not args.no_torch and not have_torch:
        print("PyTorch not found for /usr/bin/python3 (tools/setup.sh --bench): gradflow only",
              file=sys.stderr)
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    torch_server = TorchServer() if have_torch else None
    with tempfile.TemporaryDirectory(prefix="gradflow-matrix-") as folder:
        try:
            results = measure(args, runner, folder, torch_server)
        finally:
            if torch_server:
                torch_server.close()
        check_complete(args, results, have_torch)
        with open("/proc/loadavg") as f:
            load_after = f.read().split()[:3]
        print(f"{os.cpu_count()} CPUs; load average before {' '.join(load_before)}, after "
              f"{' '.join(load_after)}; {args.runs} repetitions x {args.rounds} timed rounds, "
              f"medians")
        print()
        ratios, worst = print_table(args, results, have_torch)
        if ratios:
            print_bars(args, results, ratios, worst)
        if args.breakdown:
            print_breakdown(args, runner, folder)


if __name__ == "__main__":
    main()
