"""qattn runtime: executes compiled qattn artifacts; it never re-transpiles.

Packages by capability:

* :mod:`runtime.execution` - the executor interface (PUBs in, results out), Aer ideal and
  noisy (the profile's noise on the active qubits only), IBM Quantum's executor-based
  primitives (job, batch, session, local testing mode) with their mitigation options, the
  content-addressed SQLite job store, and the distance to the exact ideal result.
* :mod:`runtime.simulators` - the batched torch statevector engine and noisy trajectories.
* :mod:`runtime.qnn` - qiskit-machine-learning networks over compiled circuits.
* :mod:`runtime.train` - hybrid models, tasks and the training loop behind ``qrun train``.
* :mod:`runtime.study` - content-addressed noisy-simulation studies behind ``qrun study``.
* :mod:`runtime.cli` - the ``qrun`` command line.

Submodules are imported on use, so ``import runtime`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.execution.aer import AerExecutor
    from runtime.execution.executor import (
        EstimateResult,
        EstimatorPub,
        Executor,
        JobHandle,
        SampleResult,
        SamplerPub,
    )
    from runtime.execution.ibm import IBMExecutor
    from runtime.execution.jobstore import JobStore, run_request
    from runtime.execution.mitigation import MitigationOptions
    from runtime.execution.noise import noise_model

__all__ = [
    "AerExecutor",
    "EstimateResult",
    "EstimatorPub",
    "Executor",
    "IBMExecutor",
    "JobHandle",
    "JobStore",
    "MitigationOptions",
    "SampleResult",
    "SamplerPub",
    "noise_model",
    "run_request",
]

_HOMES = {
    "AerExecutor": "runtime.execution.aer",
    "EstimateResult": "runtime.execution.executor",
    "EstimatorPub": "runtime.execution.executor",
    "Executor": "runtime.execution.executor",
    "JobHandle": "runtime.execution.executor",
    "SampleResult": "runtime.execution.executor",
    "SamplerPub": "runtime.execution.executor",
    "IBMExecutor": "runtime.execution.ibm",
    "JobStore": "runtime.execution.jobstore",
    "run_request": "runtime.execution.jobstore",
    "MitigationOptions": "runtime.execution.mitigation",
    "noise_model": "runtime.execution.noise",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
