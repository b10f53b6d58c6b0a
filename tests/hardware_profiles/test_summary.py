from __future__ import annotations

import statistics

from qiskit_ibm_runtime.fake_provider import FakeFez

from hardware_profiles import load_profile, summarize_profile


def test_heron_r2_summary_medians_match_the_snapshot_properties() -> None:
    props = FakeFez().properties()
    dead = {(27, 28), (31, 32), (32, 33), (68, 69), (80, 81), (106, 107), (139, 155)}
    cz = [
        props.gate_error("cz", g.qubits)
        for g in props.gates
        if g.gate == "cz" and (min(g.qubits), max(g.qubits)) not in dead
    ]
    readout = [props.readout_error(q) for q in range(156)]
    sx = [props.gate_error("sx", [q]) for q in range(156)]
    x = [props.gate_error("x", [q]) for q in range(156)]
    summary = summarize_profile(load_profile("heron_r2"))
    assert summary.num_qubits == 156
    assert summary.median_2q_error == statistics.median(cz)
    assert summary.median_readout_error == statistics.median(readout)
    assert summary.median_1q_error == statistics.median(sx + x)
    assert summary.two_qubit_gates == ("cz",)
    assert summary.provenance["calibration_date"].startswith("2025-")
    assert "7 couplers" in summary.faults and "excluded" in summary.faults
    text = summary.render()
    assert "FakeFez" in text and "median error" in text and "27-28" in text


def test_grid_summary_counts_couplers_and_degree() -> None:
    summary = summarize_profile(load_profile("grid_10x10"))
    assert summary.num_couplers == 2 * 10 * 9
    assert summary.max_degree == 4
    assert summary.median_2q_duration == 45e-9
    assert summary.provenance["calibration_date"] is None
