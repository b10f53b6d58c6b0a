"""The names the ``qcompile`` command line offers, readable without importing Qiskit.

``qcompile --help`` and ``qcompile compile --help`` must answer in well under a second, and the
registries that define these names (:data:`qcompile.models.catalog.MODELS`,
:data:`qcompile.qram.registry.CONSTRUCTIONS`) import Qiskit. The registries stay the one source
of truth: ``tests/qcompile/test_names.py`` fails when a tuple here differs from its registry,
so a model or QRAM kind added there must be added here too.
"""

from __future__ import annotations

__all__ = ["ESTIMATE_MODELS", "MODEL_NAMES", "QRAM_KINDS"]

MODEL_NAMES: tuple[str, ...] = ("qlaci", "qlaci-kernel", "qlaci_prototype", "qlam", "qasa", "qama")
"""Every model ``qcompile build`` builds: the keys of ``qcompile.models.catalog.MODELS``."""

ESTIMATE_MODELS: tuple[str, ...] = ("qlaci", "qlaci-kernel", "qlam", "qasa", "qama")
"""The models with a closed-form size: ``qcompile.models.catalog.ESTIMATE_MODELS``."""

QRAM_KINDS: tuple[str, ...] = (
    "bucket-brigade",
    "bb-2q",
    "bb-lean",
    "qrom",
    "select-swap",
    "multiplexer",
    "oracle",
    "qrom-mbu",
    "select-swap-mbu",
)
"""Every QRAM construction: the keys of ``qcompile.qram.registry.CONSTRUCTIONS``, in order.

``oracle`` is a cost model only; every other kind can be built and compiled.
"""
