#!/usr/bin/env python3
"""gradflow's SVM graphs next to scikit-learn's SVC, on exactly the same circles points.

Writes the points with `graph-runner data circles --csv`, trains each graph with
`graph-runner train`, fits SVC with the same kernel and C on the same CSV files, and prints
both test accuracies side by side. Needs Debian's python3-sklearn (run with /usr/bin/python3).

usage: tools/compare/svm_compare.py [--runner build/bin/graph-runner] [--work DIR]
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# graph file -> the SVC that solves the same problem (C = 1 in every graph: weight_decay =
# 2 / (C N) with N = 200). gamma and coef0 follow the graphs' feature maps.
CASES = [
    ("circles_svm_linear.yaml", "linear", dict(kernel="linear", C=1.0)),
    ("circles_svm_rbf.yaml", "rbf, gamma 1", dict(kernel="rbf", C=1.0, gamma=1.0)),
    ("circles_svm_poly.yaml", "poly, degree 2", dict(kernel="poly", degree=2, coef0=1.0, gamma=1.0, C=1.0)),
]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    features = [[float(v) for v in row[:-1]] for row in rows[1:]]
    labels = [int(row[-1]) for row in rows[1:]]
    return features, labels


def gradflow_accuracy(runner, graph, out_dir):
    result = subprocess.run([runner, "train", os.path.join(ROOT, "graphs", graph), "--out", out_dir],
                            capture_output=True, text=True, check=True)
    match = re.search(r"test accuracy\s+([\d.]+)%", result.stdout)
    if not match:
        sys.exit(f"could not read the accuracy of {graph} from graph-runner's output")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runner", default=os.path.join(ROOT, "build", "bin", "graph-runner"))
    parser.add_argument("--work", default=None, help="folder for the CSV files and runs")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless the RBF graph is within 1.5 points of SVC and the "
                             "linear graph stays near chance (exit 77 without scikit-learn)")
    args = parser.parse_args()
    try:
        from sklearn.svm import SVC
    except ImportError:
        print("scikit-learn is missing: apt-get install python3-sklearn, then run with /usr/bin/python3")
        sys.exit(77 if args.check else 1)

    work = args.work or tempfile.mkdtemp(prefix="gradflow-svm-")
    data_dir = os.path.join(work, "circles")
    subprocess.run([args.runner, "data", "circles", "--csv", data_dir], check=True,
                   capture_output=True)
    x_train, y_train = read_csv(os.path.join(data_dir, "train.csv"))
    x_test, y_test = read_csv(os.path.join(data_dir, "test.csv"))

    print(f"circles (seed 0): {len(y_train)} train / {len(y_test)} test points, C = 1")
    print(f"{'kernel':<16} {'gradflow graph':<26} {'gradflow':>9} {'sklearn SVC':>12} {'gap':>7}")
    results = {}
    for graph, kernel, svc_args in CASES:
        ours = gradflow_accuracy(args.runner, graph, os.path.join(work, graph[:-5]))
        theirs = 100.0 * SVC(**svc_args).fit(x_train, y_train).score(x_test, y_test)
        results[graph] = (ours, theirs)
        print(f"{kernel:<16} {graph:<26} {ours:>8.2f}% {theirs:>11.2f}% {ours - theirs:>+7.2f}")
    if args.check:
        rbf_ours, rbf_theirs = results["circles_svm_rbf.yaml"]
        linear_ours, _ = results["circles_svm_linear.yaml"]
        failures = []
        if abs(rbf_ours - rbf_theirs) > 1.5:
            failures.append(f"RBF graph {rbf_ours:.2f}% is not within 1.5 points of SVC's {rbf_theirs:.2f}%")
        if linear_ours > 65.0:
            failures.append(f"linear graph {linear_ours:.2f}% is far above chance on circles")
        for f in failures:
            print("FAILED:", f)
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
