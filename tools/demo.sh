#!/usr/bin/env bash
# The main job: install what is missing, build gradflow, and train the practical's perceptron
# on the two-circles set (graphs/circles_mlp.yaml), then show where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --data
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
./build/bin/graph-runner train graphs/circles_mlp.yaml "$@"
echo "plots and weights: runs/circles-mlp/ (curves.svg, decision.svg, metrics.csv, model.safetensors)"
