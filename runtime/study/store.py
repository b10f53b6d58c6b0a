"""Study results on disk: an append-only CSV, one flushed and fsynced line per finished task.

The file is the study's memory: a task whose ``task_id`` has a row is done. A process killed
while writing leaves at most one torn last line (no newline); :class:`ResultStore` cuts it
off when it opens the file, so that task simply runs again. Nothing else is ever rewritten.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from hardware_profiles.errors import ResourceError

__all__ = ["ResultStore"]


class ResultStore:
    """Append-only CSV of task results.

    Args:
        path: The CSV file (created with its header on the first append).
        columns: Column names; the first must be ``task_id``.

    Raises:
        ResourceError: If the existing file has another header or a corrupt middle line.
    """

    def __init__(self, path: str | os.PathLike[str], columns: Sequence[str]) -> None:
        if not columns or columns[0] != "task_id":
            raise ResourceError("the first result column must be task_id")
        self.path = Path(path)
        self.columns = tuple(columns)
        self._rows: dict[str, dict[str, str]] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):  # torn last line from a killed writer: redo that task
            with self.path.open("r+b") as fh:
                fh.truncate(len(complete))
                fh.flush()
                os.fsync(fh.fileno())
        lines = list(csv.reader(io.StringIO(complete.decode())))
        if not lines:
            return
        if tuple(lines[0]) != self.columns:
            raise ResourceError(
                f"{self.path} holds another study's results (header {lines[0][:4]}...); "
                "use another --out directory"
            )
        for number, line in enumerate(lines[1:], start=2):
            if len(line) != len(self.columns):
                raise ResourceError(f"{self.path}:{number}: expected {len(self.columns)} fields")
            row = dict(zip(self.columns, line, strict=True))
            self._rows.setdefault(row["task_id"], row)

    @property
    def rows(self) -> dict[str, dict[str, str]]:
        """Finished rows by task id (as strings, as stored)."""
        return dict(self._rows)

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._rows

    def append(self, row: Mapping[str, object]) -> None:
        """Write one row, flush and fsync it (the header first if the file is new)."""
        missing = [c for c in self.columns if c not in row]
        if missing:
            raise ResourceError(f"result row lacks columns {missing}")
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        new = not self.path.exists() or self.path.stat().st_size == 0
        if new:
            writer.writerow(self.columns)
        values = [_cell(row[c]) for c in self.columns]
        writer.writerow(values)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(text.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        self._rows.setdefault(str(row["task_id"]), dict(zip(self.columns, values, strict=True)))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)
