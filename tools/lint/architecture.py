#!/usr/bin/env python3
"""Checks the rules of docs/architecture.md that a reader could otherwise break unnoticed:

  - no op name as a string in core/, data/ or tools/graph-runner/ (the core knows no op);
  - no function longer than 80 lines outside tests/;
  - core/src is split into stage folders, and the core does not link the data loaders.

Prints every violation as FILE:LINE: message and exits 1 if there is any, else 0.
  tools/lint/architecture.py [SOURCE_DIR]
"""
import pathlib
import re
import sys

MAX_FUNCTION_LINES = 80
STAGES = {"base", "graph", "plugins", "runtime", "train", "io", "plots", "dist", "onnx", "report"}
SOURCES = ("*.cpp", "*.hpp", "*.h", "*.c")


def op_names(root):
    """Names of the ops the repository defines: OpSchema("X", ...) and elementwise_schema("X")."""
    pattern = re.compile(
        r'(?:OpSchema|elementwise_schema)\(\s*"([A-Za-z][A-Za-z0-9_]*)"|\bs\.name = "([A-Za-z][A-Za-z0-9_]*)"')
    names = set()
    for folder in ("ops", "plugins"):
        for path in (root / folder).rglob("*.cpp"):
            for found in pattern.findall(path.read_text(errors="replace")):
                names.update(n for n in found if n)
    return names


def strip_comments_and_strings(text, keep_strings=False):
    """The text with comments (and, unless kept, string and char literals) blanked out, line
    structure intact, so braces and names inside them do not count."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            if text.startswith('R"', i - 1) and c == '"':
                m = re.match(r'"([^(\s]*)\(', text[i:])
                end = text.find(")" + (m.group(1) if m else "") + '"', i)
                j = n if end < 0 else end + len(m.group(1) if m else "") + 2
            else:
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                j += 1
            literal = text[i:j]
            out.append(literal if keep_strings else re.sub(r"[^\n]", " ", literal))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def long_functions(path, text):
    """Bodies of functions (not classes, namespaces or initialisers) over the limit."""
    code = strip_comments_and_strings(text)
    problems, stack = [], []
    header = re.compile(r"\)\s*(const)?\s*(noexcept)?\s*(override|final)?\s*(->\s*[\w:<>,\s*&]+)?\s*$")
    for m in re.finditer(r"[{}]", code):
        line = code.count("\n", 0, m.start()) + 1
        if m.group() == "{":
            before = code[max(0, m.start() - 300):m.start()]
            is_function = bool(header.search(before)) and not re.search(
                r"\b(if|for|while|switch|catch)\s*\([^;{}]*\)\s*$", before)
            stack.append((line, is_function))
        elif stack:
            start, is_function = stack.pop()
            inside_function = any(f for _, f in stack)
            if is_function and not inside_function and line - start - 1 > MAX_FUNCTION_LINES:
                problems.append(f"{path}:{start}: function of {line - start - 1} lines "
                                f"(limit {MAX_FUNCTION_LINES})")
    return problems


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    problems = []
    names = op_names(root)
    quoted = re.compile(r'"(' + "|".join(sorted(names)) + r')"') if names else None
    for folder in ("core", "data", "tools/graph-runner"):
        for pattern in SOURCES:
            for path in sorted((root / folder).rglob(pattern)):
                text = path.read_text(errors="replace")
                rel = path.relative_to(root)
                code = strip_comments_and_strings(text, keep_strings=True)
                for no, line in enumerate(code.splitlines(), 1):
                    for m in (quoted.finditer(line) if quoted else []):
                        problems.append(f"{rel}:{no}: names the op {m.group(1)} as a string")
    for pattern in SOURCES:
        for path in sorted(root.rglob(pattern)):
            rel = path.relative_to(root)
            if rel.parts[0] in ("tests", "build") or rel.parts[0].startswith("build"):
                continue
            problems.extend(long_functions(rel, path.read_text(errors="replace")))
    src = root / "core" / "src"
    loose = [p.name for p in src.iterdir() if p.is_file()]
    if loose:
        problems.append(f"core/src: files outside the stage folders: {', '.join(sorted(loose))}")
    for d in src.iterdir():
        if d.is_dir() and d.name not in STAGES:
            problems.append(f"core/src/{d.name}: not a stage folder of docs/architecture.md")
    cmake = (root / "core" / "CMakeLists.txt").read_text()
    if "gradflow_data" in cmake:
        problems.append("core/CMakeLists.txt: the core links the data loaders")
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s); {len(names)} op names known", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
