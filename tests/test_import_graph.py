"""The import graph: no module imports another that imports it back, and the contracts bite.

import-linter's `acyclic_siblings` contract (pyproject.toml, run by `make test`) forbids cycles
between siblings at every depth; the test here adds the module-level view, where a package's
`__init__` counts as a module of its own. grimp reads every import statement, function-level ones
included, so a cycle "held together by a function-level import" is still a cycle.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("runtime", "qcompile", "hardware_profiles")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def import_cycles(*packages: str) -> list[list[str]]:
    """Strongly connected components of more than one module, in the packages' import graph."""
    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True, cache_dir=None)
    modules = graph.modules
    edges = {
        m: sorted(w for w in graph.find_modules_directly_imported_by(m) if w in modules)
        for m in modules
    }
    return _strongly_connected(edges)


def _strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    # Tarjan's algorithm, iterative so that deep graphs cannot hit the recursion limit.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return sorted(cycles)


def test_no_module_imports_itself_back() -> None:
    assert import_cycles(*PACKAGES) == []


def test_cycle_finder_sees_function_level_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic_pkg import b\n")
    (package / "b.py").write_text(
        textwrap.dedent(
            """
            def late() -> None:
                from cyclic_pkg import a  # only at call time, still a cycle
            """
        )
    )
    (package / "c.py").write_text("from cyclic_pkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyclic_pkg") == [["cyclic_pkg.a", "cyclic_pkg.b"]]


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="lint-imports is not installed")
def test_an_upward_import_breaks_the_layers_contract(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    loader = tmp_path / "hardware_profiles" / "loader.py"
    loader.write_text(loader.read_text() + "\n\ndef _upward() -> None:\n    import runtime\n")

    result = _lint_imports(tmp_path)

    assert result.returncode != 0, result.stdout
    assert "runtime -> qcompile -> hardware_profiles BROKEN" in result.stdout
    assert "hardware_profiles.loader -> runtime" in result.stdout
