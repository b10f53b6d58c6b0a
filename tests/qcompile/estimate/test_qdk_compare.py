"""qdk (Microsoft's resource estimator) beside our surface-code model on the same circuits."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
from qiskit import QuantumCircuit

from hardware_profiles.errors import ResourceError
from qcompile.estimate import (
    clifford_t_counts,
    compare_with_qdk,
    estimate,
    lookup_circuit,
    to_html,
    to_markdown,
)
from qcompile.estimate.qdk_compare import lower_for_estimate
from qcompile.qram import CONSTRUCTIONS


def test_measured_uncomputation_counts_its_fix_up_as_free() -> None:
    # Gidney's measurement-based uncomputation: an AND by a Toffoli, undone by an X-basis
    # measurement and a classically controlled CZ: one Toffoli, not two.
    qc = QuantumCircuit(3, 1)
    qc.ccx(0, 1, 2)
    qc.h(2)
    qc.measure(2, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.cz(0, 1)
        qc.x(2)
    counts = clifford_t_counts(qc)
    assert (counts.toffolis, counts.t_gates, counts.t_depth) == (1, 7, 3)
    with_t = QuantumCircuit(2, 1)
    with_t.measure(0, 0)
    with with_t.if_test((with_t.clbits[0], 1)):
        with_t.t(1)  # a non-Clifford inside a block counts, as if the block ran
    assert clifford_t_counts(with_t).t_gates == 1


def test_clifford_t_counts_count_t_depth_and_angles() -> None:
    qc = QuantumCircuit(4)
    qc.ccx(0, 1, 2)  # 7 T, T-depth 3
    qc.ccx(0, 1, 3)  # shares controls: T-depth 6
    qc.cswap(3, 0, 1)  # 7 T, on the same qubits: T-depth 9
    qc.rz(0.25, 2)  # arbitrary rotation: weight t_per_rotation
    qc.rz(3.141592653589793 / 4, 2)  # a T gate
    qc.rz(3.141592653589793 / 2, 2)  # Clifford (S)
    counts = clifford_t_counts(qc, t_per_rotation=10)
    assert (counts.toffolis, counts.t_gates, counts.rotations) == (3, 22, 1)
    # qubits 0, 1, 3 end at 9 (three Toffoli-like gates in a chain); qubit 2 at 3 + 10 + 1.
    assert counts.t_depth == 14
    open_control = QuantumCircuit(3)
    open_control.ccx(0, 1, 2, ctrl_state=1)  # not a plain ccx: must be lowered first
    with pytest.raises(ResourceError, match="counting basis"):
        clifford_t_counts(open_control)
    assert clifford_t_counts(lower_for_estimate(open_control)).toffolis == 1


def _require_qdk() -> None:
    if importlib.util.find_spec("qdk") is None:
        if os.environ.get("CI"):
            pytest.fail("qdk is missing in CI: it is in the dev extra (pip install -e '.[dev]')")
        pytest.skip("qdk not installed (optional extra: pip install -e '.[estimate]')")


@pytest.mark.slow
def test_qdk_sees_the_toffolis_we_count() -> None:
    _require_qdk()
    report = compare_with_qdk(["qrom", "select-swap", "bb-2q"], (4,))
    assert report.qdk_version and [r.qram for r in report.rows][-2:] == ["q#-select", "mcx"]
    native = report.rows[-2].qdk
    assert native is not None, report.rows[-2].note
    # Q#'s Select computes N - 2 ANDs and uncomputes them by measurement; our unitary QROM
    # uncomputes with Toffolis, so it has twice the CCZs (the report's explanation).
    assert native.ccz_count == 4 - 2 and native.measurements >= 4 - 2
    for row in report.rows[:-2]:
        assert row.qdk is not None, row.note
        assert row.counts is not None and row.ours is not None
        # qdk counts from its own QIR; we count the Qiskit circuit: the same circuit, so the
        # same width and the same CCZ-equivalents (each Toffoli or CSWAP is one CCZ).
        assert row.qdk.algorithm_qubits == row.counts.qubits
        assert row.qdk.ccz_count == row.counts.toffolis
        assert row.ours["t_count"] == 7 * row.counts.toffolis
        assert row.qdk.physical_qubits > row.qdk.logical_qubits >= row.qdk.algorithm_qubits
        assert 1e-7 < row.qdk.runtime_s < 1e-2  # seconds (qdk reports nanoseconds)
    qrom = next(r for r in report.rows if r.qram == "qrom")
    assert qrom.counts is not None
    assert qrom.counts.toffolis == CONSTRUCTIONS["qrom"].resources(2, 1, "bits").toffoli
    assert qrom.counts.toffolis == 2 * native.ccz_count


def test_lookup_circuit_reads_the_stored_bits() -> None:
    from qiskit.quantum_info import Statevector

    circuit = lookup_circuit("qrom", 4, seed=3)
    bits = [int(b) for b in __import__("numpy").random.default_rng(3).integers(0, 2, 4)]
    state = Statevector(circuit).probabilities_dict()
    for key, p in state.items():
        address, target = int(key[-2:], 2), int(key[-3])
        assert p == pytest.approx(0.25)
        assert target == bits[address]
    with pytest.raises(ResourceError):
        lookup_circuit("oracle", 4)
    assert lower_for_estimate(circuit).num_qubits == circuit.num_qubits


def test_missing_qdk_is_one_line_and_report_still_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qdk", None)  # import qdk now raises ImportError
    monkeypatch.setitem(sys.modules, "qdk.qiskit", None)
    report = estimate("qlaci", [4], ["qrom"], ["ft_logical"], time_budget=0, qdk_seq_lens=(4,))
    assert "not installed" in report.qdk and "\n" not in report.qdk
    assert report.qdk_comparison is not None and report.qdk_comparison["rows"] == []
    assert report.qdk in to_markdown(report)
    assert "not installed" in to_html(report)
