"""Noisy-simulation studies: grids of content-addressed tasks, resumable, run on Dask.

A study (:class:`StudySpec`) is a grid of :class:`StudyTask` points, each keyed by the
SHA-256 of everything that determines its result. :func:`run_study` runs the tasks not yet
in ``results.csv`` on a Dask cluster and appends each row as it finishes, so a killed study
loses nothing and repeats nothing; :func:`write_report` draws the results as an offline HTML
page. ``qrun study`` is the command line.
"""

from runtime.study.definitions import STUDIES, Axis, StudySpec, execute_task, get_study
from runtime.study.runner import StudyRun, run_study
from runtime.study.store import ResultStore
from runtime.study.task import StudyTask

__all__ = [
    "STUDIES",
    "Axis",
    "ResultStore",
    "StudyRun",
    "StudySpec",
    "StudyTask",
    "execute_task",
    "get_study",
    "run_study",
]
