"""The names the command line offers without Qiskit equal the registries that define them."""

from __future__ import annotations

from qcompile import names
from qcompile.models import catalog
from qcompile.qram.registry import CONSTRUCTIONS


def test_the_light_names_equal_their_registries_in_order() -> None:
    hint = "a registry changed: copy its names into qcompile/names.py"
    assert tuple(catalog.MODELS) == names.MODEL_NAMES, hint
    assert names.ESTIMATE_MODELS == catalog.ESTIMATE_MODELS, hint
    assert tuple(CONSTRUCTIONS) == names.QRAM_KINDS, hint
