"""Reading circuits (OpenQASM 2, OpenQASM 3, QPY) and writing compiled ones."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from qiskit import QuantumCircuit, qasm2, qasm3, qpy

from hardware_profiles.errors import CircuitInputError

__all__ = ["detect_format", "dumps_qasm3", "load_circuit", "loads_circuit"]

_QASM_VERSION = re.compile(rb"^\s*OPENQASM\s+(\d+)(\.\d+)?\s*;", re.MULTILINE)
_QPY_MAGIC = b"QISKIT"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:300]


def detect_format(data: bytes, name: str = "") -> str:
    """Returns ``"qpy"``, ``"qasm2"`` or ``"qasm3"`` from the content (extension as hint).

    Raises:
        CircuitInputError: the content is none of the three.
    """
    if data.startswith(_QPY_MAGIC):
        return "qpy"
    head = data.lstrip(b"\xef\xbb\xbf")
    match = _QASM_VERSION.search(head[:4096])
    if match:
        return "qasm2" if match.group(1) == b"2" else "qasm3"
    if name.endswith(".qasm3"):
        return "qasm3"
    raise CircuitInputError(
        f"{name or 'input'}: not a circuit file (expected an OPENQASM 2/3 header or QPY data)"
    )


def loads_circuit(data: bytes, name: str = "input") -> QuantumCircuit:
    """Parses circuit bytes in any supported format.

    Args:
        data: file content.
        name: used in error messages.

    Raises:
        CircuitInputError: malformed content (one line, with the parser's reason).
    """
    fmt = detect_format(data, name)
    try:
        if fmt == "qpy":
            circuits = qpy.load(io.BytesIO(data))
            if len(circuits) != 1 or not isinstance(circuits[0], QuantumCircuit):
                raise CircuitInputError(
                    f"{name}: QPY file must hold exactly one circuit, found {len(circuits)}"
                )
            return circuits[0]
        text = data.decode("utf-8")
        if fmt == "qasm2":
            return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        return qasm3.loads(text)
    except CircuitInputError:
        raise
    except UnicodeDecodeError:
        raise CircuitInputError(f"{name}: OpenQASM file is not UTF-8 text") from None
    except Exception as exc:  # parsers raise many types; all mean "malformed input"
        raise CircuitInputError(f"{name}: malformed {fmt}: {_first_line(exc)}") from None


def load_circuit(path: str | os.PathLike[str]) -> QuantumCircuit:
    """Reads a circuit from an OpenQASM 2, OpenQASM 3 or QPY file.

    Raises:
        CircuitInputError: unreadable file or malformed content.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CircuitInputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    circuit = loads_circuit(data, str(path))
    if not circuit.name or circuit.name.startswith("circuit-"):
        circuit.name = path.stem
    return circuit


def dumps_qasm3(circuit: QuantumCircuit) -> str:
    """The circuit as OpenQASM 3 text (physical qubits for ISA circuits)."""
    return qasm3.dumps(circuit)
