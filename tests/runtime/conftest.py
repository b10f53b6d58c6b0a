"""Compiled artifacts for the runtime tests, built once per session with ``qcompile``."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from qcompile.cli import main as qcompile
from tests.conftest import ghz


@pytest.fixture(scope="session")
def ghz_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A measured 4-qubit GHZ circuit compiled for heron_r2: the artifact directory."""
    from qiskit import qasm2

    root = tmp_path_factory.mktemp("ghz")
    circuit = ghz(4)
    circuit.measure_all()
    (root / "ghz4.qasm").write_text(qasm2.dumps(circuit))
    out = root / "artifact"
    with contextlib.redirect_stdout(io.StringIO()):
        assert qcompile(["compile", str(root / "ghz4.qasm"), "--out", str(out), "--json"]) == 0
    return out


@pytest.fixture(scope="session")
def model_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A QLAM model (2 tokens) compiled for ion_all_to_all, with its observables."""
    out = tmp_path_factory.mktemp("qlam") / "artifact"
    args = ["build", "qlam", "--seq-len", "2", "--profile", "ion_all_to_all", "--out", str(out)]
    with contextlib.redirect_stdout(io.StringIO()):
        assert qcompile([*args, "--equivalence-max-qubits", "0", "--json"]) == 0
    return out
