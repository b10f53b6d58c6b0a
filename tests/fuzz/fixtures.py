"""The shared fixtures the fuzz cases read: a small circuit, compiled artifacts, a job store.

Built once per run, in the parent process, by the same ``main(argv)`` calls a user would make;
every worker forked afterwards inherits the warm imports and reads these files.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BELL_QASM", "Fixtures", "build_fixtures"]

BELL_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
"""


@dataclass(frozen=True)
class Fixtures:
    """Paths (relative to :attr:`root`) and contents of the shared fixtures.

    Attributes:
        root: the fixtures directory (``{fixtures}`` in case arguments).
        bell: a 2-qubit OpenQASM 2 circuit.
        artifact: a bare artifact's ``.qpy`` (``bell`` compiled for ``ion_all_to_all``).
        model_files: the files of a model artifact (with ``.observables.json``), by name.
        model_qpy: the model artifact's ``.qpy`` file name.
        model_parameters: how many parameters the model artifact's circuit has.
        store: a job store holding one finished ``qrun sample`` request.
        store_key: that request's key.
    """

    root: Path
    bell: str
    artifact: str
    model_files: tuple[str, ...]
    model_qpy: str
    model_parameters: int
    store: str
    store_key: str

    def read(self, relative: str) -> bytes:
        """The bytes of one fixture file."""
        return (self.root / relative).read_bytes()


def _quiet(main: object, argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # type: ignore[operator]
    if code != 0:
        raise RuntimeError(f"fixture command failed ({code}): {argv}: {err.getvalue().strip()}")
    return out.getvalue()


def build_fixtures(root: Path, warm_profiles: Sequence[str] = ()) -> Fixtures:
    """Compiles the fixture artifacts and fills the fixture job store under ``root``.

    Args:
        root: the fixtures directory.
        warm_profiles: profiles whose Targets are built now, once for every worker.
    """
    from hardware_profiles import load_profile
    from qcompile.artifact import Artifact
    from qcompile.cli import main as qcompile_main
    from runtime.cli import main as qrun_main

    root.mkdir(parents=True, exist_ok=True)
    (root / "bell.qasm").write_text(BELL_QASM)
    common = ["--profile", "ion_all_to_all", "-O", "1"]
    _quiet(qcompile_main, ["compile", str(root / "bell.qasm"), *common, "--out", str(root / "art")])
    model_dir = root / "model"
    _quiet(qcompile_main, ["build", "qlaci", "--seq-len", "2", *common, "--out", str(model_dir)])
    store = root / "jobs.sqlite"
    sample = ["sample", str(root / "art" / "bell.qpy"), "--shots", "64", "--seed", "1"]
    printed = _quiet(qrun_main, [*sample, "--store", str(store), "--json"])
    key = json.loads(printed.strip().splitlines()[-1])["key"]
    _quiet(qrun_main, ["train", "--list"])  # imports torch and the tasks once, before any fork
    for name in warm_profiles:  # each worker inherits the built Targets (cached per profile)
        load_profile(name).target()
    model_files = tuple(sorted(f"model/{p.name}" for p in model_dir.iterdir()))
    model_qpy = next(name for name in model_files if name.endswith(".qpy"))
    return Fixtures(
        root=root,
        bell="bell.qasm",
        artifact="art/bell.qpy",
        model_files=model_files,
        model_qpy=model_qpy,
        model_parameters=Artifact.load(root / model_qpy).circuit.num_parameters,
        store="jobs.sqlite",
        store_key=key,
    )
