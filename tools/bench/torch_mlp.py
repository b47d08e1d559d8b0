#!/usr/bin/python3
"""The benchmark networks in PyTorch, as a PyTorch user would write them.

Fashion-MNIST from the same IDX files as gradflow; a stack of Linear layers with tanh or ReLU
between them; softmax cross-entropy (PyTorch's fused CrossEntropyLoss on logits, the pair
gradflow fuses too); SGD (optionally with momentum) or Adam; a fresh random permutation per
round, batches gathered from it. Times the training steps of each round (evaluation is timed
apart) and prints one line of JSON.

One run (what tools/bench/run.py calls; the defaults are the practical's network: 784-100-10,
tanh, weights from N(0, 0.3), plain SGD lr 0.03, whole epochs):
    torch_mlp.py --batch-size 10 --threads 1 --epochs 3 --warmup 1
A server for tools/bench/matrix.py, which loads the data once and then reads one JSON object
per line on stdin ({"layers": [784, 512, 256, 10], "activation": "relu", "optimizer": "adam",
"lr": 0.001, "momentum": 0, "batch": 64, "threads": 2, "blas_threads": 2, "steps": 200,
"rounds": 3, "warmup": 1}) and answers each with one line of JSON:
    torch_mlp.py --serve
"threads" goes to torch.set_num_threads (PyTorch's own OpenMP loops), "blas_threads" to
OpenBLAS, which Debian's PyTorch uses for matrix products and which torch.set_num_threads does
not touch: torch.set_num_threads(1) alone still multiplies matrices on every core.
"""
import argparse
import ctypes
import gzip
import json
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch

FOLDER = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(split):
    images = read_idx(f"{FOLDER}/{split}-images-idx3-ubyte.gz")
    labels = read_idx(f"{FOLDER}/{split}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.reshape(len(images), -1).copy()).float().div_(255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def build_model(layers, activation, init_std):
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]
    modules = []
    for i in range(len(layers) - 1):
        if i > 0:
            modules.append(act())
        modules.append(torch.nn.Linear(layers[i], layers[i + 1]))
    model = torch.nn.Sequential(*modules)
    if init_std is not None:
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, init_std)
    return model


def build_optimizer(model, name, lr, momentum):
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def time_rounds(model, optimizer, x, y, batch, steps, rounds, limit=None):
    """Seconds of each round of `steps` training steps (None: a whole epoch); a round stops
    early after `limit` seconds. Also returns the steps of the last round."""
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    steps = steps_per_epoch if steps is None else min(steps, steps_per_epoch)
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        order = torch.randperm(n)
        done = 0
        for s in range(steps):
            idx = order[s * batch:(s + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            done += 1
            if limit is not None and time.perf_counter() - start > limit:
                break
        seconds.append(time.perf_counter() - start)
    return seconds, done, steps_per_epoch


def serve(x, y):
    # The process's one OpenBLAS (libblas.so.3 of the openblas-pthread alternative is the same).
    openblas = ctypes.CDLL("libopenblas.so.0")
    for line in sys.stdin:
        if not line.strip():
            continue
        cell = json.loads(line)
        torch.set_num_threads(cell["threads"])
        openblas.openblas_set_num_threads(cell.get("blas_threads", cell["threads"]))
        torch.manual_seed(cell.get("seed", 0))
        model = build_model(cell["layers"], cell["activation"], None)
        optimizer = build_optimizer(model, cell["optimizer"], cell["lr"], cell.get("momentum", 0.0))
        # A configuration far slower than planned (threads fighting over busy cores) is timed
        # on fewer steps, so that it does not hold up the whole matrix for minutes.
        budget = cell.get("seconds")
        limit = 4 * budget if budget else None
        warm, done, _ = time_rounds(model, optimizer, x, y, cell["batch"], cell["steps"],
                                    cell["warmup"], limit)
        steps = cell["steps"]
        if done < steps or (budget and max(warm) > limit):
            steps = max(5, int(budget * done / max(warm)))
        seconds, steps, steps_per_epoch = time_rounds(model, optimizer, x, y, cell["batch"],
                                                      min(steps, cell["steps"]), cell["rounds"])
        step_s = statistics.median(seconds) / steps
        print(json.dumps({"tool": "pytorch", "step_us": step_s * 1e6,
                          "epoch_s": step_s * steps_per_epoch, "round_s_all": seconds,
                          "round_steps": steps}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--serve", action="store_true", help="answer cells read from stdin")
    args = ap.parse_args()

    x_train, y_train = load("train")
    if args.serve:
        serve(x_train, y_train)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_test, y_test = load("t10k")
    model = build_model([784, 100, 10], "tanh", 0.3)
    optimizer = build_optimizer(model, "sgd", args.lr, 0.0)
    b = args.batch_size
    time_rounds(model, optimizer, x_train, y_train, b, None, args.warmup)
    epoch_seconds, _, _ = time_rounds(model, optimizer, x_train, y_train, b, None, args.epochs)

    start = time.perf_counter()
    with torch.no_grad():
        correct = (model(x_test).argmax(1) == y_test).sum().item()
        train_correct = (model(x_train).argmax(1) == y_train).sum().item()
    eval_seconds = time.perf_counter() - start

    n = x_train.shape[0]
    median = statistics.median(epoch_seconds)
    steps = (n + b - 1) // b
    print(json.dumps({
        "tool": "pytorch", "version": torch.__version__, "batch": b, "threads": args.threads,
        "epochs": args.epochs, "epoch_s": median, "step_us": median / steps * 1e6,
        "samples_per_s": n / median, "eval_s": eval_seconds,
        "test_accuracy": correct / x_test.shape[0], "train_accuracy": train_correct / n,
        "epoch_s_all": epoch_seconds,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
