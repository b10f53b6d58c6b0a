"""One real estimate (compiled and analytic rows, qdk comparison) shared by the tests here.

Compiling spawns worker processes that import Qiskit: done once per session, not per test.
"""

from __future__ import annotations

import pytest

from qcompile.estimate import EstimateReport, estimate
from qcompile.estimate.report import QRAM_KINDS

SEQ_LENS = [4, 64, 1 << 20]
COMPILE_MAX_QUBITS = 14
"""QLACI widths: N = 4 multiplexer 10, qrom 11, select-swap 11, bb-lean 13; N = 64 mux 14."""


@pytest.fixture(scope="session")
def qlaci_report() -> EstimateReport:
    return estimate(
        "qlaci",
        SEQ_LENS,
        list(QRAM_KINDS),
        ["heron_r2", "ft_logical"],
        compile_max_qubits=COMPILE_MAX_QUBITS,
        time_budget=60,
        qdk_seq_lens=(4,),
    )
