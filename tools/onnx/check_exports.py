#!/usr/bin/env python3
"""Export one shipped graph to ONNX and hold the file to what `graph-runner predict` says:
 - the graph is trained (its own settings; one epoch for the MNIST-sized ones),
 - `graph-runner export` writes it, and onnx.checker (full check, with shape inference)
   accepts it,
 - ONNX Runtime (npm onnxruntime-node) predicts the whole test split: argmax identical to
   gradflow's, every output within 1e-5 (relative for values above 1),
 - the round trip: `graph-runner import` of the export gives the same predictions, digit for
   digit; graphs whose feature maps export to ONNX ops gradflow has no op for (the kernel
   plugins) must instead be refused with exit status 2 naming those ops.
Exit 0 on success, 1 on a failed check, 77 (CTest SKIP) when an optional tool is missing.

    /usr/bin/python3 tools/onnx/check_exports.py --runner build/bin/graph-runner \
        --graph graphs/circles_mlp.yaml --work /tmp/onnx-check
"""
import argparse
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_env  # noqa: E402

# Graphs whose data set is large enough that one epoch of training is enough for the test.
BIG_DATA = {"mnist", "fashion-mnist"}
# Ops whose ONNX form uses ONNX ops that no gradflow op imports, and one such ONNX op each.
NOT_IMPORTABLE = {"RBFFeatures": "Cos", "PolyFeatures": "Pad"}


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.exit("FAILED: {}\nexit {}\n{}{}".format(" ".join(cmd), result.returncode,
                                                     result.stdout, result.stderr))
    return result


def read_predictions(path):
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return [(int(r[0]), [float(v) for v in r[1:]]) for r in rows]


def compare(gradflow, ort, name):
    if len(gradflow) != len(ort):
        sys.exit("FAILED: {}: {} rows from gradflow, {} from ONNX Runtime".format(
            name, len(gradflow), len(ort)))
    worst = 0.0
    for i, ((cg, pg), (co, po)) in enumerate(zip(gradflow, ort)):
        if cg != co:
            sys.exit("FAILED: {}: row {}: gradflow predicts class {}, ONNX Runtime {} ({} vs {})"
                     .format(name, i, cg, co, pg, po))
        for a, b in zip(pg, po):
            err = abs(a - b) / max(1.0, abs(a))
            worst = max(worst, err)
            if err > 1e-5:
                sys.exit("FAILED: {}: row {}: gradflow {} vs ONNX Runtime {}".format(name, i, pg, po))
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runner", required=True)
    ap.add_argument("--graph", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    onnx_env.require_onnx()
    onnx_env.require_runtime()
    import onnx
    import yaml

    with open(args.graph) as f:
        graph = yaml.safe_load(f)
    name = os.path.splitext(os.path.basename(args.graph))[0]
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    data = dict(graph["train"]["data"])
    dataset = data.pop("dataset")
    train = [args.runner, "train", args.graph, "--out", os.path.join(work, "run")]
    if dataset in BIG_DATA:
        train += ["--epochs", "1"]
    run(train)
    weights = os.path.join(work, "run", "model.safetensors")
    model = os.path.join(work, "model.onnx")
    run([args.runner, "export", args.graph, "--weights", weights, "-o", model, "--force"])
    onnx.checker.check_model(onnx.load(model), full_check=True)

    csv_dir = os.path.join(work, "data")
    run([args.runner, "data", dataset, "--csv", csv_dir, "--split", "test"] +
        [a for k, v in data.items() for a in ("--set", "{}={}".format(k, v))])
    test = os.path.join(csv_dir, "test.csv")
    ours = os.path.join(work, "gradflow.csv")
    run([args.runner, "predict", args.graph, "--weights", weights, "--input", test,
         "--output", ours, "--digits", "9"])
    theirs = os.path.join(work, "onnxruntime.csv")
    env = dict(os.environ, NODE_PATH=onnx_env.node_modules())
    run(["node", os.path.join(os.path.dirname(__file__), "ort_predict.js"), model, test, theirs],
        env=env)
    gradflow = read_predictions(ours)
    worst = compare(gradflow, read_predictions(theirs), name)
    print("{}: onnx.checker passed; ONNX Runtime agrees on all {} test rows (argmax identical, "
          "largest difference {:.2g})".format(name, len(gradflow), worst))
    round_trip(args, graph, name, work, model, test, ours)


def round_trip(args, graph, name, work, model, test, ours):
    back = os.path.join(work, "imported")
    result = subprocess.run([args.runner, "import", model, "-o", back, "--force"],
                            capture_output=True, text=True)
    ops = {n["op"] for n in graph["nodes"]}
    missing = sorted(NOT_IMPORTABLE[op] for op in ops if op in NOT_IMPORTABLE)
    if missing:
        if result.returncode != 2 or not all(m in result.stderr for m in missing):
            sys.exit("FAILED: {}: import should exit 2 naming {}, got {}:\n{}".format(
                name, missing, result.returncode, result.stderr))
        print("{}: import refuses the export with exit 2, naming {}".format(name, missing))
        return
    if result.returncode != 0:
        sys.exit("FAILED: {}: import of the export: {}".format(name, result.stderr))
    yaml_file = os.path.join(back, graph["name"] + ".yaml")
    again = os.path.join(work, "round_trip.csv")
    run([args.runner, "predict", yaml_file, "--weights", os.path.join(back, "model.safetensors"),
         "--input", test, "--output", again, "--digits", "9"])
    with open(ours) as a, open(again) as b:
        if a.read() != b.read():
            sys.exit("FAILED: {}: YAML -> ONNX -> YAML predicts differently".format(name))
    print("{}: YAML -> ONNX -> YAML predicts the same, digit for digit".format(name))


if __name__ == "__main__":
    main()
