"""Built-in sample circuits (the demo's embedded default)."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.library import UCRYGate

__all__ = ["multiplexed_lookup"]


def multiplexed_lookup(
    address_bits: int = 4, seed: int = 7, measure: bool = True
) -> QuantumCircuit:
    """A 2^n-entry lookup as one uniformly controlled RY, the QRAM baseline of qattn.

    The address register is put in uniform superposition, then the target qubit is
    rotated by RY(θ_i) for address i (a multiplexed rotation, no ancillas).

    Registers:
        target: 1 qubit (qubit 0).
        address: ``address_bits`` qubits.

    Args:
        address_bits: n, for N = 2^n entries. Defaults to 4 (16 entries).
        seed: seed of the fixed random angles. Defaults to 7.
        measure: append measurements of every qubit. Defaults to True.
    """
    angles = np.random.default_rng(seed).uniform(0, np.pi, 2**address_bits)
    circuit = QuantumCircuit(address_bits + 1, name=f"lookup{2**address_bits}")
    circuit.h(range(1, address_bits + 1))
    circuit.append(UCRYGate([float(a) for a in angles]), range(address_bits + 1))
    if measure:
        circuit.measure_all()
    return circuit
