"""Running a study's unfinished tasks on Dask and appending each result as it arrives.

Only this (driver) process writes ``results.csv``; workers return rows. A task whose row is
in the file is skipped, so running the same study again resumes it, and a driver killed with
``kill -9`` loses at most the tasks in flight (they run again; none is written twice).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware_profiles.errors import JobError, ResourceError
from runtime.study.definitions import StudySpec, dedupe, execute_task
from runtime.study.store import ResultStore
from runtime.study.task import StudyTask

__all__ = ["RESULTS_FILE", "StudyRun", "run_study"]

RESULTS_FILE = "results.csv"


@dataclass(frozen=True)
class StudyRun:
    """What one :func:`run_study` call did.

    Attributes:
        results: The CSV file.
        total: Distinct tasks in the grid.
        skipped: Tasks already in the file before this run.
        ran: Tasks computed and appended by this run.
    """

    results: Path
    total: int
    skipped: int
    ran: int


def run_study(
    spec: StudySpec,
    tasks: Sequence[StudyTask],
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> StudyRun:
    """Run the tasks of ``spec`` not yet in ``out_dir/results.csv``; append each result.

    Args:
        spec: The study.
        tasks: Its tasks (duplicates by id run once).
        out_dir: Directory of ``results.csv`` (created).
        workers: Worker processes of the local Dask cluster. Defaults to the CPU count,
            at most the number of tasks to run. Ignored with ``scheduler``.
        scheduler: Address of a running Dask scheduler (``tcp://HOST:PORT``); None starts a
            local cluster. Defaults to None.
        progress: Show a progress bar on stderr when it is a terminal
            (:func:`hardware_profiles.progress.progress_bar`). Defaults to True.

    Returns:
        Counts of what ran and what was skipped.

    Raises:
        ResourceError: If ``workers < 1`` or the CSV belongs to another study.
        JobError: If the scheduler cannot be reached.
    """
    if workers is not None and workers < 1:
        raise ResourceError(f"workers must be >= 1, got {workers}")
    if scheduler is not None and "://" not in scheduler:
        raise JobError(f"scheduler address must look like tcp://HOST:PORT, got {scheduler!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out / RESULTS_FILE, spec.columns)
    unique = dedupe(tasks)
    for task in unique:
        if task.study != spec.name:
            raise ResourceError(f"task of study {task.study!r} given to {spec.name!r}")
    todo = [t for t in unique if t.strong_id() not in store]
    run = StudyRun(store.path, len(unique), len(unique) - len(todo), len(todo))
    if not todo:
        return run
    from hardware_profiles.progress import progress_bar

    bar = progress_bar(
        spec.name, total=len(unique), quiet=not progress, unit="task", initial=run.skipped
    )
    try:
        with _DaskClient(scheduler, workers or min(os.cpu_count() or 1, len(todo))) as client:
            from distributed import as_completed

            futures = [
                client.submit(execute_task, t, key=f"{spec.name}-{t.strong_id()}", pure=False)
                for t in todo
            ]
            for future in as_completed(futures):
                store.append(future.result())
                bar.update(1)
                future.release()
    finally:
        bar.close()
    return run


class _DaskClient:
    """A Dask client on ``scheduler`` or on a fresh local cluster, closed on exit."""

    def __init__(self, scheduler: str | None, workers: int) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        import logging

        from distributed import Client, LocalCluster

        # Dask logs cluster start/stop chatter at INFO/WARNING; the progress bar is enough.
        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.scheduler is None:
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
            )
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise JobError(f"cannot reach Dask scheduler {self.scheduler}: {exc}") from None
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
