#!/usr/bin/python3
"""The benchmark network in PyTorch, as a PyTorch user would write it.

Fashion-MNIST from the same IDX files as gradflow, Linear(784 -> 100), tanh, Linear(100 -> 10),
softmax cross-entropy, weights from N(0, 0.3), plain SGD, a fresh random permutation per epoch.
Times the training steps of each epoch (evaluation is timed apart) and prints one line of JSON.
"""
import argparse
import gzip
import json
import resource
import statistics
import struct
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-size", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load("train")
    x_test, y_test = load("t10k")

    model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.Tanh(), torch.nn.Linear(100, 10))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    # cross_entropy on logits is PyTorch's fused softmax + CE, the same pair gradflow fuses.
    loss_fn = torch.nn.CrossEntropyLoss()

    n = x_train.shape[0]
    b = args.batch_size
    epoch_seconds = []
    for epoch in range(args.warmup + args.epochs):
        start = time.perf_counter()
        order = torch.randperm(n)
        for begin in range(0, n, b):
            idx = order[begin:begin + b]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
        if epoch >= args.warmup:
            epoch_seconds.append(time.perf_counter() - start)

    start = time.perf_counter()
    with torch.no_grad():
        correct = (model(x_test).argmax(1) == y_test).sum().item()
        train_correct = (model(x_train).argmax(1) == y_train).sum().item()
    eval_seconds = time.perf_counter() - start

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
