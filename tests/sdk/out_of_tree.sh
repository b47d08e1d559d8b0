#!/usr/bin/env bash
# Out-of-tree plugin build against an installed gradflow, step by step as docs/writing-an-op.md
# tells a plugin author. Any failing step fails the test.
# usage: out_of_tree.sh BUILD_DIR SOURCE_DIR [CMAKE [GENERATOR [LIBDIR]]]
# It also builds every C++ block of the guide, the held-out ops of tests/sdk/held_out and a
# plugin binary of ABI 1.0, and trains graphs of each with the installed graph-runner.
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
case $cmake in */*) ctest=$(dirname "$cmake")/ctest ;; *) ctest=ctest ;; esac

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
# The test accuracy of the last line of a `train` run in $tmp/out must reach $1 percent.
accuracy_at_least() {
  local acc
  acc=$(sed -n 's/^final: .*test accuracy *\([0-9.]*\)%.*/\1/p' "$tmp/out")
  [ -n "$acc" ] || { cat "$tmp/out" >&2; fail "no final test accuracy"; }
  awk -v a="$acc" -v m="$1" 'BEGIN { exit !(a >= m) }' || fail "test accuracy $acc% below $1%"
}
# cmake configure and build of folder $1 against the installed prefix, at gradflow's warnings.
build_folder() {
  "$cmake" -S "$1" -B "$1/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
  "$cmake" --build "$1/build" >/dev/null
}

guide=$src/docs/writing-an-op.md
step "docs/writing-an-op.md shows the code of plugins/sigmoid"
for f in CMakeLists.txt sigmoid.cpp test_sigmoid.cpp circles_sigmoid.yaml; do
  # The fenced block right after the marker line `<!-- plugins/sigmoid/FILE -->`.
  awk -v marker="<!-- plugins/sigmoid/$f -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }' "$src/docs/writing-an-op.md" >"$tmp/guide-$f"
  diff -u "$src/plugins/sigmoid/$f" "$tmp/guide-$f" >&2 ||
    fail "the guide's $f differs from plugins/sigmoid/$f"
done

step "every C++ block of the guide is a file that is built below"
# Each ```cpp fence must follow a marker line: a file of plugins/sigmoid (compared above) or
# `<!-- example: my-ops/FILE -->`, whose block is written to $tmp/my-ops/FILE.
awk '
  /^```cpp/ && previous !~ /^<!-- (plugins\/sigmoid|example: my-ops)\/[A-Za-z0-9_.]+ -->$/ {
    print "line " NR ": a C++ block without a file marker"; bad = 1 }
  { previous = $0 }
  END { exit bad }' "$guide" >&2 || fail "the guide has C++ blocks that no test builds"
mkdir "$tmp/my-ops"
awk -v dir="$tmp/my-ops" '
  match($0, /^<!-- example: my-ops\/[A-Za-z0-9_.]+ -->$/) {
    file = dir "/" substr($0, 22, length($0) - 25); state = 1; next }
  state == 1 && /^```/ { state = 2; next }
  state == 2 && /^```/ { state = 0; close(file); next }
  state == 2 { print > file }' "$guide"
[ "$(ls "$tmp/my-ops" | wc -l)" -ge 10 ] || fail "too few example files in the guide"

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
  build_folder "$tmp/$p"
  step "unit tests of plugins/$p (<gradflow/testing.hpp>, gradflow_add_op_test)"
  expect 0 "$ctest" --test-dir "$tmp/$p/build" --output-on-failure
  contains "100% tests passed"
done
sigmoid=$tmp/sigmoid/build/libgradflow_sigmoid.so
kernels=$tmp/kernels/build/libgradflow_kernels.so

step "graph-runner ops --plugin"
expect 0 "$runner" ops --plugin "$sigmoid"
contains "Sigmoid(x)"
contains "from $sigmoid"

step "graph-runner ops with GRADFLOW_PLUGIN_PATH"
expect 0 env GRADFLOW_PLUGIN_PATH="/nonexistent:$tmp/kernels/build" "$runner" ops
contains "warning: GRADFLOW_PLUGIN_PATH entry '/nonexistent' does not exist: ignored"
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

step "graph-runner train reaches the guide's accuracy"
expect 0 "$runner" train "$tmp/sigmoid/circles_sigmoid.yaml" --out "$tmp/run-sigmoid"
accuracy_at_least 95
[ -s "$tmp/run-sigmoid/metrics.csv" ] || fail "train wrote no metrics.csv"
expect 0 "$runner" train "$tmp/kernels/circles_rbf.yaml" --epochs 2 --out "$tmp/run-rbf"
expect 0 "$runner" train "$tmp/kernels/circles_poly.yaml" --epochs 2 --out "$tmp/run-poly"

step "ONNX: a plugin op exports and, with its plugin, imports"
expect 0 "$runner" export "$tmp/sigmoid/circles_sigmoid.yaml" --weights \
  "$tmp/run-sigmoid/model.safetensors" -o "$tmp/sigmoid.onnx"
expect 0 "$runner" --plugin "$sigmoid" import "$tmp/sigmoid.onnx" -o "$tmp/sigmoid-back"
grep -q "op: Sigmoid" "$tmp/sigmoid-back/"*.yaml || fail "the imported graph has no Sigmoid node"
expect 2 "$runner" import "$tmp/sigmoid.onnx" -o "$tmp/sigmoid-without"
contains "(Sigmoid): no gradflow op imports ONNX Sigmoid"

step "the guide's other ops: built, unit-tested, checked and trained together"
build_folder "$tmp/my-ops"
expect 0 "$ctest" --test-dir "$tmp/my-ops/build" --output-on-failure
expect 0 "$runner" check "$tmp/my-ops/my_net.yaml"
contains "loss + p"
contains "gradient check passed"
expect 0 "$runner" train "$tmp/my-ops/my_net.yaml" --out "$tmp/run-my-net"
accuracy_at_least 95

step "the guide's ONNX example: Times exports as Mul by a constant and imports back"
cat >"$tmp/my-ops/times_net.yaml" <<'YAML'
format: gradflow/1
name: times-net
plugins: [build/libmy_times.so]
inputs:
  x: {shape: [2]}
  y: {shape: [2]}
nodes:
  - {name: tripled, op: Times,        inputs: [x], factor: 3}
  - {name: logits,  op: Linear,       inputs: [tripled], out_features: 2}
  - {name: yhat,    op: Softmax,      inputs: [logits]}
  - {name: loss,    op: CrossEntropy, inputs: [yhat, y]}
loss: loss
predict: yhat
YAML
expect 0 "$runner" export "$tmp/my-ops/times_net.yaml" -o "$tmp/times.onnx"
expect 0 "$runner" --plugin "$tmp/my-ops/build/libmy_times.so" import "$tmp/times.onnx" \
  -o "$tmp/times-back"
grep -q "op: Times" "$tmp/times-back/"*.yaml || fail "the imported graph has no Times node"
grep -q "factor: 3" "$tmp/times-back/"*.yaml || fail "the imported Times lost its factor"

step "held-out ops written from the guide: built, unit-tested, checked and trained"
mkdir "$tmp/held_out"
cp "$src/tests/sdk/held_out"/* "$tmp/held_out/"
build_folder "$tmp/held_out"
expect 0 "$ctest" --test-dir "$tmp/held_out/build" --output-on-failure
expect 0 "$runner" check "$tmp/held_out/residual.yaml"
contains "gradient check passed"
expect 0 "$runner" train "$tmp/held_out/residual.yaml" --out "$tmp/run-held-out"
accuracy_at_least 95

step "a plugin binary built against the frozen ABI 1.0 headers loads and trains"
mkdir "$tmp/abi10"
"${CXX:-c++}" -std=c++20 -O2 -fPIC -shared -fvisibility=hidden -I "$src/tests/abi_1_0" \
  "$src/tests/plugins/abi_1_0_ops.cpp" -o "$tmp/abi10/abi_1_0_ops.so"
expect 0 "$runner" check "$src/tests/plugins/graphs/abi_1_0.yaml" --plugin "$tmp/abi10/abi_1_0_ops.so"
contains "gradient check passed"
expect 0 "$runner" train "$src/tests/plugins/graphs/abi_1_0.yaml" --plugin "$tmp/abi10/abi_1_0_ops.so" \
  --out "$tmp/run-abi10"
accuracy_at_least 95

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

step "a graph that still lists the plugin it finds installed: the same build loads once"
expect 0 "$runner" check "$tmp/sigmoid/circles_sigmoid.yaml"
contains "gradient check passed"

step "another build of the installed plugin: both files named"
sed -i 's/Elementwise logistic function/The logistic function/' "$tmp/sigmoid/sigmoid.cpp"
"$cmake" --build "$tmp/sigmoid/build" >/dev/null
expect 2 "$runner" check "$tmp/sigmoid/circles_sigmoid.yaml"
contains "op 'Sigmoid' is defined twice"
contains "$sigmoid"
contains "$prefix/$libdir/gradflow/plugins/libgradflow_sigmoid.so"
contains "two different builds of plugin 'gradflow-sigmoid'"

step "find_package(gradflow 2) is refused (SameMajorVersion)"
mkdir "$tmp/v2"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(v2 LANGUAGES CXX)\nfind_package(gradflow 2 REQUIRED)\n' \
  >"$tmp/v2/CMakeLists.txt"
if "$cmake" -S "$tmp/v2" -B "$tmp/v2/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
  fail "find_package(gradflow 2) accepted a gradflow 1 installation"
fi

echo "out-of-tree SDK test passed" >&2
