"""Critical-path durations, checked against Qiskit's estimate and against hand counts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, transpile

from hardware_profiles import load_profile
from qcompile.duration import circuit_duration

TARGET = load_profile("heron_r2").target()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["sx", "x", "rz", "cz", "h"]), st.integers(0, 2)), max_size=25
    )
)
def test_static_circuits_agree_with_qiskit(ops):
    qc = QuantumCircuit(3, 3)
    for name, q in ops:
        if name == "cz":
            qc.cz(q, (q + 1) % 3)
        elif name == "rz":
            qc.rz(0.3, q)
        else:
            getattr(qc, name)(q)
    qc.measure(range(3), range(3))
    isa = transpile(qc, target=TARGET, initial_layout=[0, 1, 2], optimization_level=0)
    expected = isa.estimate_duration(TARGET, unit="s")
    assert circuit_duration(isa, TARGET) == pytest.approx(expected, rel=1e-12)


def test_a_feed_forward_block_waits_for_the_measurement_and_the_latency():
    qc = QuantumCircuit(156, 1)
    qc.sx(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    sx = TARGET["sx"][(0,)].duration
    measure = TARGET["measure"][(0,)].duration
    x = TARGET["x"][(1,)].duration
    latency = 2.5e-6
    got = circuit_duration(qc, TARGET, feed_forward_latency_s=latency)
    assert got == pytest.approx(sx + measure + latency + x)
    # without the condition the x would run in parallel with the measurement
    assert got > sx + measure


def test_unknown_durations_give_none():
    qc = QuantumCircuit(156)
    qc.ecr(0, 1)  # not a Heron instruction
    assert circuit_duration(qc, TARGET) is None
