"""Writing a compile result to disk: ISA circuit (QPY, OpenQASM 3) and report (JSON, Markdown).

Every file records the Qiskit version and the profile: the QPY circuit in its
``metadata["qattn"]``, the OpenQASM 3 file in a header comment, the reports in their
``versions`` and ``provenance`` fields. Files are written atomically (temporary file,
then rename), so an interrupted write never leaves a half-written artifact.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qiskit import QuantumCircuit, qpy

from qcompile.circuit_io import dumps_qasm3
from qcompile.errors import CompileError
from qcompile.pipeline import CompileResult

__all__ = ["ArtifactPaths", "load_artifact_circuit", "write_artifact"]


@dataclass(frozen=True)
class ArtifactPaths:
    """Files of one written artifact."""

    qpy: Path
    qasm3: Path
    report_json: Path
    report_md: Path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_artifact(result: CompileResult, out_dir: str | os.PathLike[str]) -> ArtifactPaths:
    """Writes ``<name>.qpy``, ``<name>.qasm3``, ``<name>.report.json`` and ``.report.md``.

    Args:
        result: the compile result.
        out_dir: directory, created if missing.

    Raises:
        CompileError: the directory cannot be created or written.
    """
    report = result.report
    out = Path(out_dir)
    stem = report.circuit_name or "circuit"
    circuit: QuantumCircuit = result.circuit.copy()
    circuit.metadata = {
        **(circuit.metadata or {}),
        "qattn": {
            "profile": report.profile,
            "provenance": report.provenance,
            "versions": report.versions,
            "options": report.options,
        },
    }
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    header = (
        f"// qattn ISA circuit for profile {report.profile} "
        f"(calibration {report.calibration_date or 'n/a'})\n"
        + "// "
        + ", ".join(f"{k} {v}" for k, v in report.versions.items())
        + "\n"
    )
    paths = ArtifactPaths(
        qpy=out / f"{stem}.qpy",
        qasm3=out / f"{stem}.qasm3",
        report_json=out / f"{stem}.report.json",
        report_md=out / f"{stem}.report.md",
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
        _atomic_write(paths.qpy, buffer.getvalue())
        _atomic_write(paths.qasm3, (header + dumps_qasm3(result.circuit)).encode())
        _atomic_write(paths.report_json, (report.to_json() + "\n").encode())
        _atomic_write(paths.report_md, report.to_markdown().encode())
    except OSError as exc:
        raise CompileError(f"{out}: cannot write artifact ({exc.strerror or exc})") from None
    return paths


def load_artifact_circuit(path: str | os.PathLike[str]) -> QuantumCircuit:
    """Reads the ISA circuit of an artifact back from its QPY file (layout included)."""
    with open(path, "rb") as handle:
        circuits = qpy.load(handle)
    circuit = circuits[0]
    assert isinstance(circuit, QuantumCircuit)
    return circuit
