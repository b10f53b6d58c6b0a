"""Content-addressed execution requests: one SHA-256 per (circuits, data, backend, settings).

Like sinter's ``Task.strong_id()``, :func:`request_key` hashes the canonical JSON of
everything that determines a request's result: each PUB's ISA circuit, observables and
parameter values, the profile name, the executor's fingerprint, the kind, shots or
precision, and free-form options. Two requests with the same key are the same experiment,
so a job store can answer the second from the first.

The circuit enters the hash as a canonical instruction listing (names, parameters as
exact float ``repr`` or symbolic text, qubit and clbit indices, global phase, layout),
not as QPY bytes: ``qpy.dump`` of one and the same circuit object is not byte-stable in
Qiskit 2.6 (repeated dumps alternate between encodings), which would make keys
unreproducible. Circuit metadata and names are left out: they do not change results.
Keys are stable across processes and machines; they change with the Qiskit version only
if the circuit's instructions do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit.quantum_info import SparsePauliOp

from runtime.execution.executor import EstimatorPub, RequestKind, SamplerPub

__all__ = ["canonical_circuit", "canonical_json", "request_document", "request_key"]


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the text that request keys hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, complex):
        return [value.real, value.imag]
    raise TypeError(f"not canonical JSON: {type(value).__name__}")


def _param(value: Any) -> Any:
    if isinstance(value, ParameterExpression):
        return {"expr": str(value)}
    if isinstance(value, QuantumCircuit):
        return {"circuit": canonical_circuit(value)}
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "shape": list(value.shape)}
    if isinstance(value, (bool, int, float, complex, str, np.generic)) or value is None:
        return value
    return {"repr": repr(value)}


def canonical_circuit(circuit: QuantumCircuit) -> dict[str, Any]:
    """Everything about ``circuit`` that determines what it computes, as plain JSON data."""
    qubit_index = {bit: i for i, bit in enumerate(circuit.qubits)}
    clbit_index = {bit: i for i, bit in enumerate(circuit.clbits)}
    instructions = [
        [
            inst.operation.name,
            [_param(p) for p in inst.operation.params],
            [qubit_index[q] for q in inst.qubits],
            [clbit_index[c] for c in inst.clbits],
        ]
        for inst in circuit.data
    ]
    layout = None
    if circuit.layout is not None:
        layout = {
            "initial": [int(q) for q in circuit.layout.initial_index_layout()],
            "final": [int(q) for q in circuit.layout.final_index_layout()],
        }
    return {
        "num_qubits": circuit.num_qubits,
        "num_clbits": circuit.num_clbits,
        "global_phase": _param(circuit.global_phase),
        "parameters": [p.name for p in circuit.parameters],
        "instructions": instructions,
        "layout": layout,
    }


def _observable(op: SparsePauliOp) -> dict[str, Any]:
    return {
        "num_qubits": op.num_qubits,
        "terms": [
            [label, [int(q) for q in qubits], [float(c.real), float(c.imag)]]
            for label, qubits, c in op.to_sparse_list()
        ],
    }


def _pub(pub: SamplerPub | EstimatorPub) -> dict[str, Any]:
    values = np.asarray(pub.parameter_values, dtype=float)
    doc: dict[str, Any] = {
        "circuit": canonical_circuit(pub.circuit),
        "parameter_values": {"shape": list(values.shape), "data": values.ravel().tolist()},
    }
    if isinstance(pub, EstimatorPub):
        doc["observables"] = [_observable(op) for op in pub.observables]
    return doc


def request_document(
    kind: RequestKind,
    pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
    *,
    shots: int | None,
    precision: float | None,
    profile: str,
    executor: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON data a request key hashes (see :func:`request_key` for the arguments)."""
    return {
        "kind": kind,
        "pubs": [_pub(pub) for pub in pubs],
        "shots": shots,
        "precision": precision,
        "profile": profile,
        "executor": dict(executor),
        "options": dict(options or {}),
    }


def request_key(
    kind: RequestKind,
    pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
    *,
    shots: int | None,
    precision: float | None,
    profile: str,
    executor: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 (hex) of the canonical JSON of a request.

    Args:
        kind: ``sample`` or ``estimate``.
        pubs: the PUBs, ISA circuits included.
        shots: shots per parameter set, or None.
        precision: target precision, or None.
        profile: the device profile's name.
        executor: the executor's name and fingerprint (never a secret).
        options: anything else that changes results. Defaults to none.
    """
    document = request_document(
        kind,
        pubs,
        shots=shots,
        precision=precision,
        profile=profile,
        executor=executor,
        options=options,
    )
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()
