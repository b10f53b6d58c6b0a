"""One sample request through the job store, started together with copies of itself.

``python -m tests.runtime.execution.concurrent_request STORE QPY SPOOL GATE DELAY`` writes
``GATE/ready-<pid>``, waits for ``GATE/go`` (so that all copies reach the store within
milliseconds of each other), then runs one 200-shot request of the artifact's circuit
through :func:`~runtime.execution.jobstore.run_request` with the spool-backed
:class:`~tests.runtime.primitive_executor.PrimitiveExecutor`, and prints
``{"key", "counts", "pid"}``. The simulation waits ``DELAY`` seconds first, or with
``DELAY`` = ``hold`` until ``GATE/finish`` exists. The job store's progress lines go to
``GATE/progress-<pid>``, so a test can see who waited.

Every simulation that completes, in whichever process, appends a line to
``SPOOL/executions``; every submission makes a folder in ``SPOOL``. The seed is None, so two
executions would give two different histograms.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from hardware_profiles import load_profile
from qcompile.artifact import load_artifact_circuit
from runtime.execution.executor import EstimateResult, SampleResult, SamplerPub
from runtime.execution.jobstore import JobStore, run_request
from tests.runtime.primitive_executor import PrimitiveExecutor, PrimitiveJob

EXECUTIONS = "executions"
"""The file in the spool folder that gets one line per completed simulation."""


class _CountedJob:
    """A job handle that logs its completed simulation, once, to the spool's log."""

    def __init__(self, job: PrimitiveJob, log: Path, hold: Path | None) -> None:
        self._job, self._log, self._hold, self._logged = job, log, hold, False

    @property
    def job_id(self) -> str | None:
        return self._job.job_id

    def status(self) -> str:
        return "DONE"  # always ready to fetch: result() then blocks (DELAY or hold)

    def result(self) -> SampleResult | EstimateResult:
        while self._hold is not None and not self._hold.exists():
            time.sleep(0.01)
        result = self._job.result()  # the remote queue (DELAY), then the simulation
        if not self._logged:
            with self._log.open("a") as log:  # one short append: atomic across processes
                log.write(f"{os.getpid()}\n")
            self._logged = True
        return result


class CountingExecutor(PrimitiveExecutor):
    """The spool-backed test executor, logging every simulation to ``spool/executions``.

    With ``hold``, a simulation starts only once that file exists.
    """

    hold: Path | None = None

    def submit(self, *args: object, **kwargs: object) -> _CountedJob:  # type: ignore[override]
        job = super().submit(*args, **kwargs)  # type: ignore[arg-type]
        return _CountedJob(job, self._log(), self.hold)

    def retrieve(self, job_id: str) -> _CountedJob:  # type: ignore[override]
        return _CountedJob(super().retrieve(job_id), self._log(), self.hold)

    def _log(self) -> Path:
        assert self.spool is not None
        return self.spool / EXECUTIONS


def main(argv: Sequence[str] | None = None) -> int:
    store_path, qpy_path, spool, gate, delay = argv if argv is not None else sys.argv[1:]
    circuit = load_artifact_circuit(qpy_path)
    (Path(gate) / f"ready-{os.getpid()}").touch()
    while not (Path(gate) / "go").exists():
        time.sleep(0.01)
    executor = CountingExecutor(seed=None, spool=Path(spool), delay=0.0)
    if delay == "hold":
        executor.hold = Path(gate) / "finish"
    else:
        executor.delay = float(delay)
    progress = Path(gate) / f"progress-{os.getpid()}"

    def say(line: str) -> None:
        with progress.open("a") as out:
            out.write(line + "\n")

    with JobStore(store_path) as store:
        key, result = run_request(
            store,
            executor,
            "sample",
            [SamplerPub(circuit)],
            shots=200,
            profile=load_profile("heron_r2"),
            artifact=qpy_path,
            progress=say,
        )
    assert isinstance(result, SampleResult)
    print(json.dumps({"key": key, "counts": result.counts[0][0], "pid": os.getpid()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
