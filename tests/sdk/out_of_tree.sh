#!/usr/bin/env bash
# Out-of-tree plugin build against an installed gradflow, step by step as docs/writing-an-op.md
# tells a plugin author. Any failing step fails the test.
# usage: out_of_tree.sh BUILD_DIR SOURCE_DIR [CMAKE [GENERATOR [LIBDIR]]]
set -euo pipefail

build=$1
src=$2
cmake=${3:-cmake}
export CMAKE_GENERATOR=${4:-${CMAKE_GENERATOR:-}}
[ -n "$CMAKE_GENERATOR" ] || unset CMAKE_GENERATOR
libdir=${5:-lib}  # CMAKE_INSTALL_LIBDIR of the build: lib, or lib/<multiarch> for prefix /usr

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tmp=$(realpath "$tmp")
prefix=$tmp/prefix
# What the user's shell might carry must not help: the installed tree stands on its own.
unset LD_LIBRARY_PATH GRADFLOW_PLUGIN_PATH
runner=$prefix/bin/graph-runner

step() { echo "== $*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect STATUS COMMAND...: runs COMMAND, keeps stdout+stderr in $tmp/out, checks the status.
expect() {
  local want=$1 got=0
  shift
  "$@" >"$tmp/out" 2>&1 || got=$?
  if [ "$got" != "$want" ]; then
    cat "$tmp/out" >&2
    fail "exit $got, expected $want: $*"
  fi
}
contains() { grep -qF -- "$1" "$tmp/out" || { cat "$tmp/out" >&2; fail "output lacks '$1'"; }; }

step "docs/writing-an-op.md shows the code of plugins/sigmoid"
for f in CMakeLists.txt sigmoid.cpp circles_sigmoid.yaml; do
  # The fenced block right after the marker line `<!-- plugins/sigmoid/FILE -->`.
  awk -v marker="<!-- plugins/sigmoid/$f -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$src/docs/writing-an-op.md" >"$tmp/guide-$f"
  diff -u "$src/plugins/sigmoid/$f" "$tmp/guide-$f" >&2 ||
    fail "the guide's $f differs from plugins/sigmoid/$f"
done

step "install to $prefix"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
for f in $libdir/libgradflow.so $libdir/cmake/gradflow/gradflowConfig.cmake \
  $libdir/cmake/gradflow/gradflowConfigVersion.cmake $libdir/cmake/gradflow/GradflowPlugin.cmake \
  include/gradflow/op.hpp include/gradflow/plugin_abi.h include/gradflow/random.hpp \
  $libdir/gradflow/plugins/libgradflow_builtin_ops.so; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done
expect 0 "$runner" ops
contains "Linear(x)"
contains "from $prefix/$libdir/gradflow/plugins/libgradflow_builtin_ops.so"

# Each plugin folder is copied and built in a fresh build/ inside it, exactly as a user does;
# the graphs name their plugin relative to themselves (build/lib....so).
for p in sigmoid kernels; do
  step "build plugins/$p out of tree"
  mkdir "$tmp/$p"
  cp "$src/plugins/$p"/*.txt "$src/plugins/$p"/*.cpp "$src/plugins/$p"/*.yaml "$tmp/$p/"
  cp "$src/plugins/$p"/*.hpp "$tmp/$p/" 2>/dev/null || true
  # The examples are held to gradflow's own warning level.
  "$cmake" -S "$tmp/$p" -B "$tmp/$p/build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
  "$cmake" --build "$tmp/$p/build" >/dev/null
done
sigmoid=$tmp/sigmoid/build/libgradflow_sigmoid.so
kernels=$tmp/kernels/build/libgradflow_kernels.so

step "graph-runner ops --plugin"
expect 0 "$runner" ops --plugin "$sigmoid"
contains "Sigmoid(x)"
contains "from $sigmoid"

step "graph-runner ops with GRADFLOW_PLUGIN_PATH"
expect 0 env GRADFLOW_PLUGIN_PATH="/nonexistent:$tmp/kernels/build" "$runner" ops
contains "RBFFeatures(x)"
contains "PolyFeatures(x)"
contains "gamma: float"
contains "from $kernels"

step "graph-runner check"
expect 0 "$runner" check "$tmp/sigmoid/circles_sigmoid.yaml"
contains "gradient check passed"
expect 0 "$runner" check "$tmp/kernels/kernels_check.yaml"
contains "gradient check passed"

step "the same file through every search route is loaded once"
expect 0 env GRADFLOW_PLUGIN_PATH="$tmp/sigmoid/build" "$runner" check \
  "$tmp/sigmoid/circles_sigmoid.yaml" --plugin "$sigmoid" --plugin "$tmp/sigmoid/build"
contains "gradient check passed"

step "graph-runner train"
expect 0 "$runner" train "$tmp/sigmoid/circles_sigmoid.yaml" --epochs 3 --out "$tmp/run-sigmoid"
[ -s "$tmp/run-sigmoid/metrics.csv" ] || fail "train wrote no metrics.csv"
[ "$(wc -l <"$tmp/run-sigmoid/metrics.csv")" -ge 4 ] || fail "metrics.csv has fewer than 3 epochs"
expect 0 "$runner" train "$tmp/kernels/circles_rbf.yaml" --epochs 2 --out "$tmp/run-rbf"
expect 0 "$runner" train "$tmp/kernels/circles_poly.yaml" --epochs 2 --out "$tmp/run-poly"

step "ONNX: a plugin op exports and, with its plugin, imports"
expect 0 "$runner" export "$tmp/sigmoid/circles_sigmoid.yaml" --weights \
  "$tmp/run-sigmoid/model.safetensors" -o "$tmp/sigmoid.onnx"
expect 0 "$runner" --plugin "$sigmoid" import "$tmp/sigmoid.onnx" -o "$tmp/sigmoid-back"
grep -q "op: Sigmoid" "$tmp/sigmoid-back/"*.yaml || fail "the imported graph has no Sigmoid node"
expect 2 "$runner" import "$tmp/sigmoid.onnx" -o "$tmp/sigmoid-without"
contains "(Sigmoid): no gradflow op imports ONNX Sigmoid"

step "an op whose forward throws"
mkdir "$tmp/throwing"
cp "$src/tests/sdk/throwing"/* "$tmp/throwing/"
"$cmake" -S "$tmp/throwing" -B "$tmp/throwing/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
"$cmake" --build "$tmp/throwing/build" >/dev/null
expect 2 "$runner" train "$tmp/throwing/explode.yaml" --out "$tmp/run-explode"
contains "'boom'"
contains "op Explode"
contains "$tmp/throwing/build/libgradflow_test_throwing.so"
contains "boom: the test op always fails"

step "cmake --install of a plugin puts it in the default folder"
"$cmake" --install "$tmp/sigmoid/build" >/dev/null
[ -e "$prefix/$libdir/gradflow/plugins/libgradflow_sigmoid.so" ] || fail "sigmoid not installed"
expect 0 "$runner" ops
contains "from $prefix/$libdir/gradflow/plugins/libgradflow_sigmoid.so"

step "find_package(gradflow 2) is refused (SameMajorVersion)"
mkdir "$tmp/v2"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(v2 LANGUAGES CXX)\nfind_package(gradflow 2 REQUIRED)\n' \
  >"$tmp/v2/CMakeLists.txt"
if "$cmake" -S "$tmp/v2" -B "$tmp/v2/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
  fail "find_package(gradflow 2) accepted a gradflow 1 installation"
fi

echo "out-of-tree SDK test passed" >&2
