"""The public surface and the architecture rules: an exact __all__, a light import, one JIT
policy, kernels free of Python-level libraries, and the import direction."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import seqmine

PACKAGE = Path(seqmine.__file__).resolve().parent


def test_all_is_exact_and_importable():
    public = {name for name in dir(seqmine) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(seqmine, name)).__name__ == "module"}
    assert set(seqmine.__all__) == (public - modules) | {"__version__"}
    for name in seqmine.__all__:
        assert getattr(seqmine, name) is not None


def test_import_is_light():
    code = ("import sys, seqmine; bad = [m for m in ('torch', 'dask', 'matplotlib', "
            "'seqmine.cli') if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_one_jit_policy():
    """Only _kernels/_jit.py calls numba.njit/jit; every kernel uses its decorators."""
    offenders = []
    for path, tree in _modules():
        if path.name == "_jit.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("njit", "jit", "jitclass"):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "numba":
                if any(a.name in ("njit", "jit", "jitclass") for a in node.names):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_kernels_import_only_numpy_numba_and_siblings():
    for path, tree in _modules():
        if "_kernels" not in path.parts:
            continue
        for name in _imported(tree):
            root = name.split(".")[0]
            assert root in ("numpy", "numba", "math", "__future__") or name.startswith(
                "seqmine._kernels"), f"{path.name} imports {name}"


def test_import_direction():
    """Nothing imports the CLI; only seqmine.neural (and what builds on it) imports torch."""
    torch_ok = ("neural", "hybrid")
    for path, tree in _modules():
        rel = path.relative_to(PACKAGE).parts
        names = _imported(tree)
        if rel[0] != "cli" and rel != ("__main__.py",):
            assert not any(n.startswith("seqmine.cli") for n in names), path
        if rel[0] not in torch_ok:
            assert not any(n.split(".")[0] == "torch" for n in names), path
