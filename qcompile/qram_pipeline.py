"""The best measured way to place and route each QRAM kind: what the CLIs use by default.

Measured with ``benchmarks/lean_bb_bench.py`` (heron_r2 and eagle_r3, N = 16 and 32, random
bit words, against Qiskit O3 best of 5 seeds on the same circuit, in the same run). Each
candidate is one full O3 compilation, and the time bound is 3x one O3 compilation, so each kind
gets the one or two candidates that won there:

* ``tree``: the best :func:`~qcompile.qram.tree_layout.tree_layouts` embedding (lowest weighted
  distance: a cheap score; the other embeddings rarely win and each costs a compile) as the
  initial layout;
* ``stage``: the ``qram_tree`` layout stage (Sabre seeded with tree embeddings);
* ``default``: Qiskit's own O3 layout;

with the known-``|0>`` swap rewrite (:mod:`qcompile.qram.known_zero`) where its analysis is
affordable (a work bound per kind; past it the analysis gives up and the swaps stay), and the
result with the fewest two-qubit gates kept.

======================  ==================  =========================================
kind                    pipeline            two-qubit gates / O3 best of 5 (16, 32)
======================  ==================  =========================================
``bb-lean``             stage + rewrite     heron 0.87, 0.96; eagle 0.87, 1.03
``bb-2q``               O3 + rewrite        heron 0.90, 1.04; eagle 0.91, 0.87
``bucket-brigade``      tree, O3            heron 0.94, 1.01; eagle 0.98, 1.01
======================  ==================  =========================================

Compile time 1.2-2.6x the mean O3 compilation of that run. Kinds without a tree (QROM, select-swap,
multiplexer) and lookups lowered inside a larger circuit (``CompileOptions.qram``) keep
Qiskit's O3 alone: the stage and the rewrite measured no better there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import MappingProxyType

from qcompile.pipeline import CompileOptions, LayoutSearch

__all__ = ["BEST_PIPELINES", "QRAMPipeline", "best_qram_options"]


@dataclass(frozen=True)
class QRAMPipeline:
    """Which O3 compilations to try for one QRAM kind (see the module docstring).

    Attributes:
        tree: Try the best tree embedding as the initial layout.
        stage: Try the ``qram_tree`` layout stage.
        default: Try Qiskit's own O3 layout.
        known_zero_work: Work bound of the known-``|0>`` analysis (0: no analysis, no
            rewrite); see :class:`~qcompile.qram.known_zero.KnownZeroAnalysis`.
    """

    tree: bool
    stage: bool
    default: bool
    known_zero_work: int = 1 << 20


BEST_PIPELINES = MappingProxyType(
    {
        "bb-lean": QRAMPipeline(tree=False, stage=True, default=False),
        "bb-2q": QRAMPipeline(tree=False, stage=False, default=True, known_zero_work=1 << 22),
        "bucket-brigade": QRAMPipeline(tree=True, stage=False, default=True, known_zero_work=0),
    }
)
"""Kind -> pipeline; kinds not listed (no tree, not measured) use Qiskit's O3 alone."""

_PLAIN = QRAMPipeline(tree=False, stage=False, default=True, known_zero_work=0)


def best_qram_options(
    kind: str, base: CompileOptions, *, num_inputs: int, lowered: bool = False
) -> CompileOptions:
    """``base`` with the best measured placement and routing for QRAM ``kind``.

    Args:
        kind: The construction kind.
        base: The options to start from (seed, equivalence settings...); its optimization level
            becomes 3 and its layout search and known-|0> settings are replaced.
        num_inputs: Leading qubits that carry inputs (a construction's ``n + b``; every qubit of
            a circuit whose lookups are lowered); the rest start in ``|0>``.
        lowered: Whether the lookups are lowered during compilation (``base.qram`` set): then
            Qiskit's O3 alone (see the comment in the code for the measurement).

    Returns:
        The options.
    """
    # Lookups lowered inside a larger circuit: the stage and the known-|0> rewrite measured no
    # better than Qiskit's O3 there (heron_r2, N = 16: bb-lean 517 vs 506 two-qubit gates,
    # bb-2q 922 vs 922, bucket-brigade 2016 vs 2016, at 2-3x the time), so O3 it is.
    pipeline = _PLAIN if lowered else BEST_PIPELINES.get(kind, _PLAIN)
    tree = pipeline.tree and not lowered
    stage = pipeline.stage
    layouts: LayoutSearch
    if not (tree or stage):
        layouts = "default"
    elif pipeline.default:
        layouts = "both"
    else:
        layouts = "tree"
    return replace(
        base,
        optimization_level=3,
        layouts=layouts,
        tree_candidates=1 if tree else 0,
        tree_stage=stage,
        known_zero_inputs=num_inputs if pipeline.known_zero_work else None,
        known_zero_work=pipeline.known_zero_work or base.known_zero_work,
    )
