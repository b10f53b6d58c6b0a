"""Check a compiled (laid-out and routed) QRAM query against the query semantics.

:func:`compiled_query_fidelity` runs, with Aer's matrix-product-state simulator,

    prepare(psi) on the address/target qubits -> the ISA circuit -> reference query^-1 ->
    prepare(psi)^-1

with the address and target placed through the circuit's initial layout and read back through
its final layout, and returns the probability of all-zero. It is 1 exactly when the compiled
circuit maps ``|psi>|0...0>`` to ``(Q|psi>)|0...0>`` up to a global phase, where ``Q`` is
:func:`~qcompile.qram.query.reference_circuit` (one multi-controlled gate per word, written from
the definition and independent of every construction) and ``|psi>`` is a random entangled state
of the address and target: every address is read at once, and every ancilla (routers, ports and
the device's unused qubits) must come back to ``|0>``. Only the qubits that some gate touches
are simulated, so a compiled 32-word brigade (about 50 active qubits of a 156-qubit device) takes
about a second.
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from hardware_profiles.errors import CompileError
from qcompile.basis import lower_to_basis
from qcompile.qram.query import QRAMWords, reference_circuit

__all__ = ["compiled_query_fidelity", "random_logical_state"]

_MPS_BASIS = ("u", "p", "rz", "ry", "sx", "x", "h", "cx", "cz", "ecr")


def random_logical_state(num_qubits: int, seed: int = 0) -> QuantumCircuit:
    """A seeded circuit preparing a generic entangled state (every amplitude non-zero a.s.).

    Args:
        num_qubits: Width.
        seed: Seed of the angles. Defaults to 0.

    Returns:
        RY/RZ layers around a CX chain.
    """
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(num_qubits, name="psi")
    for q in range(num_qubits):
        qc.ry(rng.uniform(0.3, 2.8), q)
        qc.rz(rng.uniform(-3.0, 3.0), q)
    for q in range(num_qubits - 1):
        qc.cx(q, q + 1)
        qc.ry(rng.uniform(0.3, 2.8), q)
    return qc


def compiled_query_fidelity(isa: QuantumCircuit, words: QRAMWords, *, seed: int = 0) -> float:
    """Fidelity of a compiled query with the query semantics (see the module docstring).

    Args:
        isa: A transpiled circuit with a ``layout`` whose first ``n + b`` virtual qubits are the
            construction's ``address`` and ``target`` (as every construction's ``build()`` has
            them).
        words: The stored words (angles bound to floats).
        seed: Seed of the random input state. Defaults to 0.

    Returns:
        ``|<psi, 0| P^-1 Q^-1 U P |psi, 0>|^2``; 1 up to rounding when correct.

    Raises:
        CompileError: If ``isa`` has no layout or ``words`` hold unbound parameters.
    """
    from qiskit_aer import AerSimulator

    if isa.layout is None:
        raise CompileError("the circuit has no layout; pass a transpiled circuit")
    k = words.n + words.b
    initial = isa.layout.initial_index_layout(filter_ancillas=True)[:k]
    final = isa.layout.final_index_layout(filter_ancillas=True)[:k]
    touched = {isa.find_bit(q).index for inst in isa.data for q in inst.qubits}
    active = sorted(touched | set(initial) | set(final))
    position = {p: j for j, p in enumerate(active)}
    prep = random_logical_state(k, seed)
    reference = reference_circuit(words)
    if reference.parameters:
        raise CompileError("bind the words' parameters before checking")
    full = QuantumCircuit(len(active), global_phase=isa.global_phase)
    full.compose(prep, [position[p] for p in initial], inplace=True)
    for inst in isa.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        full.append(inst.operation, [position[isa.find_bit(q).index] for q in inst.qubits])
    back = [position[p] for p in final]
    full.compose(reference.inverse(), back, inplace=True)
    full.compose(prep.inverse(), back, inplace=True)
    # Lower to Aer's MPS basis ourselves: the backend's own check caps the width at 63.
    lowered = lower_to_basis(full, _MPS_BASIS)
    lowered.save_amplitudes([0])
    sim = AerSimulator(method="matrix_product_state")
    result = sim.run(lowered).result()
    return float(abs(result.data()["amplitudes"][0]) ** 2)
