"""One real estimate (compiled and analytic rows, qdk comparison) shared by the tests here.

Compiling spawns worker processes that import Qiskit: done once per session, not per test.
Every size that fits the compile limits is compiled whatever the machine's speed
(``compile_at_least`` covers all sizes), so which rows are compiled is deterministic: on a
loaded machine the report takes longer, it does not change.
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
        compile_at_least=len(SEQ_LENS),
        time_budget=1,  # applies only after every fitting size has compiled: no effect
        qdk_seq_lens=(4,),
    )
