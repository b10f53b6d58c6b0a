"""The public QLACI prototype circuit (``qlaci_real_n16.py``), reproduced with its defects.

The QLACI paper's section 4.5 prototype is a PennyLane QNode, ``true_qlaci(query,
past_keys)``, in ``code/qlaci_real_n16.py`` of the repository
``StonerIsh420/qlaci-hybrid-transformer`` (commit ``8cfaadbe33e0cfa4b622ec3cef1256ffe512956e``).
This module rebuilds that circuit gate for gate in Qiskit so its behaviour can be pinned by
tests; it is kept as a record of what the prototype does, not as a model to train. Its
circuit on 11 wires (4 query, 4 index, 3 "ancilla/readout"):

1. ``RY(query[i])`` on wire ``i`` for ``i < 4``.
2. ``H`` on wires 4-7 (the index register).
3. For each key ``j < N``: with ``bin_j = format(j, '04b')`` (most significant bit first),
   ``CNOT(4 + bit -> 8)`` for every ``bit`` with ``bin_j[bit] == '1'``, then
   ``RZ(dot(query, past_keys[j]))`` on wire 8, then the same CNOTs again ("uncompute").
4. Return ``expval(PauliZ(8))``.

Its three defects, which the tests pin:

* **The measured value is identically 1.** Wire 8 starts in ``|0>``; each CNOT ladder maps it
  to ``|parity>`` of some index bits, ``RZ`` is diagonal (a phase only) and the second ladder
  maps it back to ``|0>`` in every index branch. So ``<Z_8> = 1`` for every query and key:
  the keys only change phases that a ``Z`` readout on wire 8 cannot see.
* **The query qubits never interact.** Wires 0-3 get one ``RY`` each and nothing else; the
  query enters only classically, through the dot products ``dot(query, key_j)`` computed in
  torch and used as ``RZ`` angles. Wires 9 and 10 are never used.
* **No trainable quantum parameters.** Every angle is data (query and key projections); the
  QNode has no weights, so all learning in the script happens in the classical layers
  (``self.out`` is fed a constant).

The rebuilt circuit keeps the dot product symbolic: the ``RZ`` angle of key ``j`` is the
ParameterExpression ``sum_i Q_i K_{j,i}`` of the input Parameters.

Registers:
    query: wires 0-3.
    index: wires 4-7; wire ``4 + bit`` holds bit ``3 - bit`` of ``j`` (big-endian).
    ancilla: wires 8-10; wire 8 is the one the prototype reads.

References:
    StonerIsh420/qlaci-hybrid-transformer, ``code/qlaci_real_n16.py`` (commit 8cfaadbe).
"""

from __future__ import annotations

from qiskit.circuit import ParameterVector, QuantumCircuit, QuantumRegister

from hardware_profiles.errors import ResourceError
from qcompile.models.base import ModelCircuit, z_observables

__all__ = ["PROTOTYPE_MAX_KEYS", "build_qlaci_prototype"]

PROTOTYPE_MAX_KEYS = 16
"""The prototype's 4 index qubits address at most 16 keys (its training loop passes 15)."""

_QUERY_DIM = 4
_INDEX_BITS = 4


def build_qlaci_prototype(num_keys: int = 16) -> ModelCircuit:
    """Rebuild the ``true_qlaci`` QNode of ``qlaci_real_n16.py`` for ``num_keys`` keys.

    Args:
        num_keys: ``N = past_keys.shape[0]``, the number of keys the loop visits
            (``1..16``). Defaults to 16 (the script's training calls use 15).

    Returns:
        The model: registers ``query`` (4), ``index`` (4), ``ancilla`` (3); ``inputs`` of
        length ``4 + 4 N`` (query, then key ``j``'s four features); no ``weights``; one
        observable, ``Z`` on wire 8.

    Raises:
        ResourceError: If ``num_keys`` is not in ``1..16``.
    """
    if (
        isinstance(num_keys, bool)
        or not isinstance(num_keys, int)
        or not 1 <= num_keys <= PROTOTYPE_MAX_KEYS
    ):
        raise ResourceError(
            f"the QLACI prototype takes 1..{PROTOTYPE_MAX_KEYS} keys, got {num_keys!r}"
        )
    query = QuantumRegister(_QUERY_DIM, "query")
    index = QuantumRegister(_INDEX_BITS, "index")
    ancilla = QuantumRegister(3, "ancilla")
    inputs = ParameterVector("inputs", _QUERY_DIM * (1 + num_keys))
    weights = ParameterVector("weights", 0)
    readout = ancilla[0]

    qc = QuantumCircuit(query, index, ancilla, name="qlaci_prototype")
    for i in range(_QUERY_DIM):
        qc.ry(inputs[i], query[i])
    qc.h(index)
    for j in range(num_keys):
        bin_j = format(j, f"0{_INDEX_BITS}b")
        strength = sum(
            (inputs[i] * inputs[_QUERY_DIM * (1 + j) + i] for i in range(1, _QUERY_DIM)),
            inputs[0] * inputs[_QUERY_DIM * (1 + j)],
        )
        controls = [index[bit] for bit in range(_INDEX_BITS) if bin_j[bit] == "1"]
        for control in controls:
            qc.cx(control, readout)
        qc.rz(strength, readout)
        for control in controls:
            qc.cx(control, readout)

    return ModelCircuit(
        circuit=qc,
        registers={"query": query, "index": index, "ancilla": ancilla},
        inputs=inputs,
        weights=weights,
        observables=z_observables(qc.num_qubits, [_QUERY_DIM + _INDEX_BITS]),
        metadata={
            "model": "qlaci_prototype",
            "source": "StonerIsh420/qlaci-hybrid-transformer code/qlaci_real_n16.py@8cfaadbe",
            "num_keys": num_keys,
            "defects": [
                "<Z> on the readout is identically 1",
                "query qubits never interact",
                "no trainable quantum parameters",
            ],
        },
    )
