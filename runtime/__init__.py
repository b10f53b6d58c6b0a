"""qattn runtime: executes compiled qattn artifacts; it never re-transpiles.

* :mod:`runtime.executor` - the one interface: PUBs in, results out (``submit``/``retrieve``).
* :mod:`runtime.aer` - Aer ideal and noisy (the profile's noise on the active qubits only).
* :mod:`runtime.ibm` - IBM Quantum primitives (job, batch, session) and local testing mode.
* :mod:`runtime.jobstore` - the content-addressed SQLite job store behind ``qrun``.
* :mod:`runtime.cli` - the ``qrun`` command line.

Submodules are imported on use, so ``import runtime`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.aer import AerExecutor
    from runtime.executor import (
        EstimateResult,
        EstimatorPub,
        Executor,
        JobHandle,
        SampleResult,
        SamplerPub,
    )
    from runtime.ibm import IBMExecutor
    from runtime.jobstore import JobStore, run_request
    from runtime.noise import noise_model

__all__ = [
    "AerExecutor",
    "EstimateResult",
    "EstimatorPub",
    "Executor",
    "IBMExecutor",
    "JobHandle",
    "JobStore",
    "SampleResult",
    "SamplerPub",
    "noise_model",
    "run_request",
]

_HOMES = {
    "AerExecutor": "runtime.aer",
    "EstimateResult": "runtime.executor",
    "EstimatorPub": "runtime.executor",
    "Executor": "runtime.executor",
    "JobHandle": "runtime.executor",
    "SampleResult": "runtime.executor",
    "SamplerPub": "runtime.executor",
    "IBMExecutor": "runtime.ibm",
    "JobStore": "runtime.jobstore",
    "run_request": "runtime.jobstore",
    "noise_model": "runtime.noise",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
