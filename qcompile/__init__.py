"""qattn compiler: lowers circuits and hybrid attention models to ISA circuits for a profile.

Public entry points are imported lazily so that ``import qcompile`` stays cheap and the
``hardware_profiles`` package can import ``hardware_profiles.errors`` without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hardware_profiles.errors import QattnError
    from qcompile.artifact import Artifact
    from qcompile.circuit_io import load_circuit, loads_circuit
    from qcompile.equivalence import EquivalenceResult, check_equivalence
    from qcompile.isa import check_isa, isa_violations
    from qcompile.pipeline import CompileOptions, CompileResult, compile_circuit, compile_model
    from qcompile.report import CompileReport

__all__ = [
    "Artifact",
    "CompileOptions",
    "CompileReport",
    "CompileResult",
    "EquivalenceResult",
    "QattnError",
    "check_equivalence",
    "check_isa",
    "compile_circuit",
    "compile_model",
    "isa_violations",
    "load_circuit",
    "loads_circuit",
]

_HOMES = {
    "Artifact": "qcompile.artifact",
    "CompileOptions": "qcompile.pipeline",
    "CompileResult": "qcompile.pipeline",
    "compile_circuit": "qcompile.pipeline",
    "compile_model": "qcompile.pipeline",
    "CompileReport": "qcompile.report",
    "EquivalenceResult": "qcompile.equivalence",
    "check_equivalence": "qcompile.equivalence",
    "QattnError": "hardware_profiles.errors",
    "check_isa": "qcompile.isa",
    "isa_violations": "qcompile.isa",
    "load_circuit": "qcompile.circuit_io",
    "loads_circuit": "qcompile.circuit_io",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'qcompile' has no attribute {name!r}")
