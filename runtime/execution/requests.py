"""Content-addressed execution requests: one SHA-256 per (circuits, data, backend, settings).

Like sinter's ``Task.strong_id()``, :func:`request_key` hashes the canonical JSON of
everything that determines a request's result: each PUB's ISA circuit, observables and
parameter values, the device profile (its name and :meth:`DeviceProfile.digest
<hardware_profiles.DeviceProfile.digest>`, a hash of its content), the executor's
fingerprint, the kind, shots or precision, and free-form options. Two requests with the same
key are the same experiment, so a job store can answer the second from the first; a profile
edited in place (say, one gate error) gives a new key, so a stale result is never returned.
The text and the hash are :func:`hardware_profiles.identity.canonical_json` and
:func:`~hardware_profiles.identity.strong_id`, the one identity every stored thing uses.

The circuit enters the hash as a canonical instruction listing (names, parameters as
exact float ``repr`` or symbolic text, qubit and clbit indices, global phase, layout),
not as QPY bytes: ``qpy.dump`` of one and the same circuit object is not byte-stable in
Qiskit 2.6 (repeated dumps alternate between encodings), which would make keys
unreproducible. Circuit metadata and names are left out: they do not change results.
Keys are stable across processes and machines; they change with the Qiskit version only
if the circuit's instructions do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit.quantum_info import SparsePauliOp

from hardware_profiles.errors import JobError
from hardware_profiles.identity import strong_id
from hardware_profiles.profile import DeviceProfile
from qcompile.artifact import sparse_terms
from runtime.execution.executor import EstimatorPub, RequestKind, SamplerPub

__all__ = ["canonical_circuit", "profile_identity", "request_document", "request_key"]


def profile_identity(profile: DeviceProfile | str) -> dict[str, str | None]:
    """The part of a request key that names the device profile: its name and content digest.

    Args:
        profile: The profile, or (for callers not yet passing one) its bare name, whose
            digest is then None: such a key cannot see an edit of the profile's numbers.

    Returns:
        ``{"name": ..., "digest": ...}`` with :meth:`DeviceProfile.digest
        <hardware_profiles.DeviceProfile.digest>` as the digest.
    """
    if isinstance(profile, DeviceProfile):
        return {"name": profile.name, "digest": profile.digest()}
    return {"name": profile, "digest": None}


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
        "terms": sparse_terms(op),
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
    profile: DeviceProfile | str,
    executor: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON data a request key hashes (see :func:`request_key` for the arguments)."""
    return {
        "kind": kind,
        "pubs": [_pub(pub) for pub in pubs],
        "shots": shots,
        "precision": precision,
        "profile": profile_identity(profile),
        "executor": dict(executor),
        "options": dict(options or {}),
    }


def request_key(
    kind: RequestKind,
    pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
    *,
    shots: int | None,
    precision: float | None,
    profile: DeviceProfile | str,
    executor: Mapping[str, Any],
    options: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 (hex) of the canonical JSON of a request: its :func:`strong_id`.

    Args:
        kind: ``sample`` or ``estimate``.
        pubs: the PUBs, ISA circuits included.
        shots: shots per parameter set, or None.
        precision: target precision, or None.
        profile: the device profile: its name and content digest enter the key. A bare
            name is still accepted, but then an edited profile keeps its old key.
        executor: the executor's name and fingerprint (never a secret).
        options: anything else that changes results. Defaults to none.

    Raises:
        JobError: the request holds NaN or infinity (parameter values, observable
            coefficients, options), which have no canonical JSON and so no key.
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
    try:
        return strong_id(document)
    except ValueError:
        raise JobError(
            "the request holds NaN or infinity (parameter values, observable coefficients "
            "or options); it has no request key"
        ) from None
