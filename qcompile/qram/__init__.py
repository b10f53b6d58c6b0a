"""Explicit QRAM constructions behind one logical query gate.

:class:`QRAMQuery` states what a query does; each construction (bucket brigade, its two-qubit
variant, the lean brigade ``bb-lean``, QROM, select-swap, multiplexer, and the cost-model
oracle) builds a real circuit for it and knows its costs in closed form; :class:`QRAMLowering`
swaps queries for constructions inside a transpiler pipeline. For devices, the ``qram_tree``
layout stage (:class:`TreeLayoutPlugin`) and the known-``|0>`` swap rewrite
(:class:`KnownZeroSwaps`) place and route brigades; :mod:`qcompile.qram.verify` checks a
compiled query against the semantics.
"""

from qcompile.qram.base import (
    CX_COST,
    QRAMConstruction,
    QRAMResources,
    lowered_cx_count,
    measure_resources,
)
from qcompile.qram.bucket_brigade import BucketBrigadeQRAM
from qcompile.qram.bucket_brigade_2q import BucketBrigade2QRAM
from qcompile.qram.known_zero import KnownZeroAnalysis, KnownZeroSwaps
from qcompile.qram.layout_plugin import TreeLayoutPlugin, TreeStartingLayouts
from qcompile.qram.lean_bb import LeanBucketBrigadeQRAM, split_pairs
from qcompile.qram.lowering import QRAMLowering, add_qram_lowering, qram_lowering_pass_manager
from qcompile.qram.multiplexer import MultiplexerQRAM, append_multiplexed_rotation
from qcompile.qram.oracle import OracleQRAM
from qcompile.qram.qrom import QROM, unary_iteration
from qcompile.qram.query import QRAMQuery, QRAMWords, reference_circuit
from qcompile.qram.registry import CONSTRUCTIONS, get_construction
from qcompile.qram.select_swap import SelectSwapQRAM, default_block_bits
from qcompile.qram.tree_layout import (
    TreeLayout,
    interaction_weights,
    layout_cost,
    tree_layout,
    tree_layouts,
)

__all__ = [
    "CONSTRUCTIONS",
    "CX_COST",
    "QROM",
    "BucketBrigade2QRAM",
    "BucketBrigadeQRAM",
    "KnownZeroAnalysis",
    "KnownZeroSwaps",
    "LeanBucketBrigadeQRAM",
    "MultiplexerQRAM",
    "OracleQRAM",
    "QRAMConstruction",
    "QRAMLowering",
    "QRAMQuery",
    "QRAMResources",
    "QRAMWords",
    "SelectSwapQRAM",
    "TreeLayout",
    "TreeLayoutPlugin",
    "TreeStartingLayouts",
    "add_qram_lowering",
    "append_multiplexed_rotation",
    "default_block_bits",
    "get_construction",
    "interaction_weights",
    "layout_cost",
    "lowered_cx_count",
    "measure_resources",
    "qram_lowering_pass_manager",
    "reference_circuit",
    "split_pairs",
    "tree_layout",
    "tree_layouts",
    "unary_iteration",
]
