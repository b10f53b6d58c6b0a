"""Shared test circuits: built here, independently of qcompile.samples."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import QFTGate, UCRYGate


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, name=f"ghz{n}")
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    return qc


def qft(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n, name=f"qft{n}")
    qc.h(range(n))
    qc.append(QFTGate(n), range(n))
    return qc


def lookup(address_bits: int, seed: int = 11) -> QuantumCircuit:
    """A 2^n-entry multiplexed RY with the address in uniform superposition."""
    angles = np.random.default_rng(seed).uniform(0, np.pi, 2**address_bits)
    qc = QuantumCircuit(address_bits + 1, name=f"lookup{2**address_bits}")
    qc.h(range(1, address_bits + 1))
    qc.append(UCRYGate([float(a) for a in angles]), range(address_bits + 1))
    return qc


@pytest.fixture
def circuits() -> dict[str, QuantumCircuit]:
    return {"ghz5": ghz(5), "qft4": qft(4), "lookup16": lookup(4)}
