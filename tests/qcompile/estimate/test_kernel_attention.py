"""The kernel-attention cost table: closed forms against built circuits, shots against formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import transpile

from hardware_profiles.errors import ResourceError
from qcompile.estimate import estimate, to_html, to_markdown
from qcompile.estimate.kernel_attention import (
    KERNEL_SEQ_LENS,
    kernel_attention_section,
    kernel_cost_table,
    kernel_logical_size,
)
from qcompile.models.qlaci_kernel import KernelSizes, build_qlaci_kernel
from qcompile.qram import qram_lowering_pass_manager


@pytest.mark.parametrize(
    ("kind", "sizes"),
    [
        ("multiplexer", KernelSizes(4, 2, 1, 2)),
        ("qrom", KernelSizes(8, 1, 2, 1, layers=2)),
        ("select-swap", KernelSizes(4, 2, 1, 1, grover_iterations=1)),
        ("bb-lean", KernelSizes(4, 1, 1, 2, grover_iterations=2)),
        ("multiplexer", KernelSizes(8, 2, 1, 1, grover_iterations=1)),
    ],
    ids=str,
)
def test_closed_form_counts_the_lowered_circuit(kind: str, sizes: KernelSizes) -> None:
    model = build_qlaci_kernel(sizes)
    rng = np.random.default_rng(0)
    bound = model.bind(
        rng.uniform(-1, 1, len(model.inputs)), rng.uniform(-1, 1, len(model.weights))
    )
    lowered = qram_lowering_pass_manager(kind).run(bound)
    cx = transpile(lowered, basis_gates=["cx", "u"], optimization_level=0).count_ops()["cx"]
    size = kernel_logical_size(sizes.seq_len, kind, sizes)
    if sizes.grover_iterations == 0:
        assert size.two_qubit_gates == cx
    else:
        # The closed form synthesises each reflection's multi-controlled Z without helper
        # qubits; in the whole circuit Qiskit may borrow idle qubits and do better.
        assert cx <= size.two_qubit_gates <= cx + 40 * sizes.grover_iterations
    assert size.qubits == lowered.num_qubits


class _Row:
    def __init__(self, n: int, gates: int) -> None:
        self.seq_len, self.qram, self.profile = n, "qrom", "heron_r2"
        self.logical_qubits, self.two_qubit_gates, self.source = 10, gates, "analytic"


def test_shots_follow_the_post_selection_and_grover_formulas() -> None:
    rows = [_Row(n, 100 * n) for n in KERNEL_SEQ_LENS]
    table = kernel_cost_table(rows, "qrom", "heron_r2", precision=0.05)["rows"]
    assert [r["seq_len"] for r in table] == list(KERNEL_SEQ_LENS)
    for r in table:
        n = r["seq_len"]
        assert r["acceptance"] == pytest.approx(1 / n)
        assert r["shots"] == math.ceil(n / 0.05**2 - 1e-9)
        theta = math.asin(math.sqrt(1 / n))
        g = r["grover_iterations"]
        assert r["amplified_acceptance"] == pytest.approx(math.sin((2 * g + 1) * theta) ** 2)
        assert r["amplified_acceptance"] > 0.8 or n <= 4
        assert r["amplified_shots"] <= r["shots"]
        assert g == pytest.approx(math.pi / (4 * theta) - 0.5, abs=0.5)
        assert r["qae_preparations"] == 4 * math.ceil(4 * math.pi * math.sqrt(n) / 0.05)
    # Amplification wins more the rarer the match: the ratio of 2q-gate runs falls with N.
    ratios = [r["amplified_gate_executions"] / r["plain_gate_executions"] for r in table]
    assert ratios[-1] < ratios[0] and ratios[-1] < 0.2
    # A background kernel raises the acceptance and lowers the shots.
    blurred = kernel_cost_table(rows, "qrom", "heron_r2", background_kernel=0.1)["rows"]
    plain = [math.ceil(r["seq_len"] / 0.01**2) for r in table]
    assert all(b["shots"] < s for b, s in zip(blurred, plain, strict=True))


@pytest.mark.parametrize(("precision", "bg"), [(0.0, 0.0), (1.5, 0.0), (0.1, -0.1), (0.1, 2.0)])
def test_bad_precision_or_background_is_refused(precision: float, bg: float) -> None:
    with pytest.raises(ResourceError):
        kernel_cost_table([], "qrom", "heron_r2", precision=precision, background_kernel=bg)


@pytest.mark.slow
def test_the_estimate_report_carries_the_table_for_qlaci_kernel_only() -> None:
    report = estimate(
        "qlaci-kernel",
        list(KERNEL_SEQ_LENS),
        ["qrom"],
        ["heron_r2"],
        time_budget=0,
        qdk_seq_lens=(),
    )
    section = next(s for s in report.sections if s.key == "kernel-attention")
    assert len(section.table_rows) == len(KERNEL_SEQ_LENS)
    assert section.data["tables"][0]["rows"][-1]["seq_len"] == 1024
    assert "Kernel attention" in to_markdown(report)
    assert 'id="kernel-attention"' in to_html(report)
    other = estimate("qlam", [4], ["qrom"], ["heron_r2"], time_budget=0, qdk_seq_lens=())
    assert kernel_attention_section(other) is None
