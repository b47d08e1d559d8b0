#!/usr/bin/python3
"""The CNN benchmark networks in PyTorch, as a PyTorch user would write them.

--net lenet (graphs/fashion_cnn.yaml): LeNet-5, conv 5x5 6 (pad 2), ReLU, max-pool 2, conv 5x5 16,
ReLU, max-pool 2, flatten, 120, ReLU, 84, ReLU, 10; softmax cross-entropy; Adam lr 1e-3.
--net bn (graphs/fashion_cnn_bn.yaml): conv 3x3 32 (pad 1), batch norm, ReLU, max-pool 2,
conv 3x3 64 (pad 1), batch norm, ReLU, max-pool 2, dropout 0.25, 128, ReLU, dropout 0.5, 10.

Fashion-MNIST from the same IDX files as gradflow, images [1, 28, 28] scaled to [0, 1], a fresh
random permutation per epoch, PyTorch's default initialisation. Times the training steps of each
epoch (evaluation is timed apart, in eval mode) and prints one line of JSON.
"""
import argparse
import json
import resource
import statistics
import time

import torch

from torch_mlp import load


def lenet():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10))


def bn_net():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.BatchNorm2d(64), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Dropout(0.25), torch.nn.Flatten(),
        torch.nn.Linear(64 * 7 * 7, 128), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(128, 10))


def accuracy(model, x, y, chunk=1000):
    correct = 0
    with torch.no_grad():
        for begin in range(0, x.shape[0], chunk):
            correct += (model(x[begin:begin + chunk]).argmax(1) == y[begin:begin + chunk]).sum().item()
    return correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--net", choices=["lenet", "bn"], default="lenet")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load("train")
    x_test, y_test = load("t10k")
    x_train = x_train.view(-1, 1, 28, 28)
    x_test = x_test.view(-1, 1, 28, 28)

    model = lenet() if args.net == "lenet" else bn_net()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()

    n = x_train.shape[0]
    b = args.batch_size
    epoch_seconds = []
    for epoch in range(args.warmup + args.epochs):
        model.train()
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

    model.eval()
    start = time.perf_counter()
    test_accuracy = accuracy(model, x_test, y_test)
    train_accuracy = accuracy(model, x_train, y_train)
    eval_seconds = time.perf_counter() - start

    median = statistics.median(epoch_seconds)
    steps = (n + b - 1) // b
    print(json.dumps({
        "tool": "pytorch", "version": torch.__version__, "net": args.net, "batch": b,
        "threads": args.threads, "epochs": args.epochs, "epoch_s": median,
        "step_us": median / steps * 1e6, "samples_per_s": n / median, "eval_s": eval_seconds,
        "test_accuracy": test_accuracy, "train_accuracy": train_accuracy,
        "epoch_s_all": epoch_seconds,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    main()
