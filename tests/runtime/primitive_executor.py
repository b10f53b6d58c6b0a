"""A small real executor for tests: Aer's SamplerV2/EstimatorV2 on the given ISA circuits.

With ``spool``, it behaves like a remote service: ``submit`` writes the job into
``spool/<job_id>/`` and returns its id at once, ``retrieve`` reopens it from another
process, and the simulation runs when the result is asked for (after ``delay`` seconds).
Each submission is one directory, so tests count submissions by listing the spool.

``python -m tests.runtime.primitive_executor STORE QPY SPOOL DELAY`` runs one sample
request through the job store and prints ``{"key", "counts"}``: the subprocess that the
kill test kills.
"""

from __future__ import annotations

import json
import pickle
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from qiskit_aer.primitives import EstimatorV2, SamplerV2

from hardware_profiles.errors import JobError
from qcompile.artifact import load_artifact_circuit
from runtime.execution.executor import EstimateResult, EstimatorPub, SampleResult, SamplerPub


def _sample(pubs: Sequence[SamplerPub], shots: int, seed: int | None) -> SampleResult:
    sampler = SamplerV2(seed=seed)
    job_pubs = [
        (p.circuit, p.parameter_values if np.size(p.parameter_values) else None) for p in pubs
    ]
    counts = []
    for pub_result in sampler.run(job_pubs, shots=shots).result():
        bits = pub_result.join_data()
        counts.append(
            tuple(
                {str(k): int(v) for k, v in bits.get_counts(loc).items()}
                for loc in np.ndindex(bits.shape)
            )
        )
    return SampleResult(counts=tuple(counts), shots=shots, metadata={"seed": seed})


def _estimate(
    pubs: Sequence[EstimatorPub], precision: float | None, seed: int | None
) -> EstimateResult:
    options: dict[str, Any] = {"default_precision": precision or 0.0}
    if seed is not None:
        options["run_options"] = {"seed": seed}
    estimator = EstimatorV2(options=options)
    job_pubs = []
    for p in pubs:
        values = np.asarray(p.parameter_values, dtype=float)
        batch = values.shape[:-1] if values.size else ()
        observables: Any = list(p.observables)
        for _ in batch:  # shape (1, ..., 1, K) broadcasts against batch + (1,)
            observables = [observables]
        bound = values.reshape((*batch, 1, values.shape[-1])) if values.size else None
        job_pubs.append((p.circuit, observables, bound))
    results = estimator.run(job_pubs).result()
    return EstimateResult(
        values=tuple(np.asarray(r.data.evs, dtype=float) for r in results),
        stds=tuple(np.asarray(r.data.stds, dtype=float) for r in results),
        metadata={"seed": seed},
    )


class PrimitiveJob:
    """A handle: runs the request when its result is asked for."""

    def __init__(self, executor: PrimitiveExecutor, job: dict[str, Any], job_id: str | None):
        self._executor = executor
        self._job = job
        self._job_id = job_id
        self._result: SampleResult | EstimateResult | None = None

    @property
    def job_id(self) -> str | None:
        return self._job_id

    def status(self) -> str:
        return "DONE" if self._result is not None or self._job_id is None else "QUEUED"

    def result(self) -> SampleResult | EstimateResult:
        if self._result is None:
            time.sleep(self._executor.delay)
            if self._executor.fail:
                raise JobError("simulated backend failure: qubit 3 lost calibration")
            job = self._job
            if job["kind"] == "sample":
                self._result = _sample(job["pubs"], job["shots"], self._executor.seed)
            else:
                self._result = _estimate(job["pubs"], job["precision"], self._executor.seed)
            self._executor.executions += 1
        return self._result


class PrimitiveExecutor:
    """Real Aer primitives; a local executor, or a spool-backed 'remote' one."""

    def __init__(
        self,
        seed: int | None = 1234,
        *,
        spool: Path | None = None,
        delay: float = 0.0,
        fail: bool = False,
        label: str = "ideal",
    ) -> None:
        self.seed = seed
        self.spool = spool
        self.delay = delay
        self.fail = fail
        self.label = label
        self.submissions = 0
        self.executions = 0

    @property
    def name(self) -> str:
        return f"test-aer-{self.label}"

    def fingerprint(self) -> dict[str, Any]:
        return {"simulator": "qiskit-aer primitives", "seed": self.seed, "label": self.label}

    def submit(
        self,
        kind: str,
        pubs: Sequence[SamplerPub] | Sequence[EstimatorPub],
        *,
        shots: int | None = None,
        precision: float | None = None,
    ) -> PrimitiveJob:
        self.submissions += 1
        job = {"kind": kind, "pubs": list(pubs), "shots": shots or 1024, "precision": precision}
        if self.spool is None:
            return PrimitiveJob(self, job, None)
        job_id = uuid.uuid4().hex
        folder = self.spool / job_id
        folder.mkdir(parents=True)
        (folder / "job.pickle").write_bytes(pickle.dumps(job))
        return PrimitiveJob(self, job, job_id)

    def retrieve(self, job_id: str) -> PrimitiveJob:
        if self.spool is None:
            raise JobError("local executor: no jobs to retrieve")
        path = self.spool / job_id / "job.pickle"
        if not path.exists():
            raise JobError(f"job {job_id} not found")
        return PrimitiveJob(self, pickle.loads(path.read_bytes()), job_id)


def main(argv: Sequence[str] | None = None) -> int:
    from hardware_profiles import load_profile
    from runtime.execution.jobstore import JobStore, run_request

    store_path, qpy_path, spool, delay = argv if argv is not None else sys.argv[1:]
    circuit = load_artifact_circuit(qpy_path)
    executor = PrimitiveExecutor(spool=Path(spool), delay=float(delay))
    with JobStore(store_path) as store:
        key, result = run_request(
            store,
            executor,
            "sample",
            [SamplerPub(circuit)],
            shots=200,
            profile=load_profile("heron_r2"),
            artifact=qpy_path,
        )
    assert isinstance(result, SampleResult)
    print(json.dumps({"key": key, "counts": result.counts[0][0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
