"""Writing a compile result to disk: ISA circuit (QPY, OpenQASM 3) and report (JSON, Markdown).

Every file records the Qiskit version and the profile: the QPY circuit in its
``metadata["qattn"]``, the OpenQASM 3 file in a header comment, the reports in their
``versions`` and ``provenance`` fields. Files are written atomically (temporary file,
then rename), so an interrupted write never leaves a half-written artifact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qiskit import QuantumCircuit, qpy
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import CompileError
from qcompile.circuit_io import dumps_qasm3
from qcompile.pipeline import CompileResult

__all__ = ["ArtifactPaths", "load_artifact_circuit", "observables_document", "write_artifact"]


@dataclass(frozen=True)
class ArtifactPaths:
    """Files of one written artifact."""

    qpy: Path
    qasm3: Path
    report_json: Path
    report_md: Path
    observables: Path | None = None


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def observables_document(
    observables: Sequence[SparsePauliOp], compiled: QuantumCircuit
) -> dict[str, object]:
    """Observables on the logical qubits and, via ``apply_layout``, on the ISA qubits.

    Each is a sparse list of ``[pauli, qubits, [re, im]]`` terms.
    """

    def sparse(op: SparsePauliOp) -> list[list[object]]:
        return [
            [label, [int(q) for q in qubits], [float(c.real), float(c.imag)]]
            for label, qubits, c in op.to_sparse_list()
        ]

    return {
        "num_logical_qubits": observables[0].num_qubits if observables else 0,
        "num_isa_qubits": compiled.num_qubits,
        "logical": [sparse(op) for op in observables],
        "isa": [sparse(op.apply_layout(compiled.layout)) for op in observables],
    }


def write_artifact(
    result: CompileResult,
    out_dir: str | os.PathLike[str],
    observables: Sequence[SparsePauliOp] | None = None,
    extra: dict[str, object] | None = None,
) -> ArtifactPaths:
    """Writes ``<name>.qpy``, ``<name>.qasm3``, ``<name>.report.json`` and ``.report.md``.

    With ``observables``, also ``<name>.observables.json``: each observable on the logical
    qubits and mapped onto the ISA circuit's physical qubits, ready for an Estimator PUB.

    Args:
        result: the compile result.
        out_dir: directory, created if missing.
        observables: the circuit's observables on its logical qubits. Defaults to None.
        extra: more JSON-friendly facts for the report file (e.g. the model's sizes).

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
        observables=out / f"{stem}.observables.json" if observables is not None else None,
    )
    report_doc = {**report.to_dict(), **({"model": extra} if extra else {})}
    try:
        out.mkdir(parents=True, exist_ok=True)
        _atomic_write(paths.qpy, buffer.getvalue())
        _atomic_write(paths.qasm3, (header + dumps_qasm3(result.circuit)).encode())
        _atomic_write(paths.report_json, (json.dumps(report_doc, indent=2) + "\n").encode())
        _atomic_write(paths.report_md, report.to_markdown().encode())
        if paths.observables is not None and observables is not None:
            document = {
                **observables_document(observables, result.circuit),
                "profile": report.profile,
                "versions": report.versions,
            }
            _atomic_write(paths.observables, (json.dumps(document) + "\n").encode())
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
