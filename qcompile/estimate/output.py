"""Writing an estimate's files so that the ones side by side always come from one run.

:func:`write_report` writes ``estimate.json``, ``estimate.md`` and ``estimate.html`` and every
figure as ``estimate-<plot id>.svg`` and ``.pdf`` beside the page. Each file is first written
to a temporary file in its directory and then renamed over the old one; the renames and the
removal of figure files the new report no longer has (a stale figure of an earlier run) happen
under an exclusive lock on each output directory, so two runs into the same ``--out`` leave
one run's files, never a mix. Every file names the report's id (:func:`report_id`, the SHA-256
of its canonical JSON), so a reader can check that the page, the table and the data agree.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from hardware_profiles.errors import ResourceError
from hardware_profiles.identity import strong_id
from qcompile.estimate.render import FIGURE_PREFIX, figures, to_html, to_markdown
from qcompile.estimate.report import EstimateReport
from qcompile.plots import loglog_pdf, loglog_svg

__all__ = ["LOCK_NAME", "WrittenReport", "report_id", "write_report"]

LOCK_NAME = ".estimate.lock"
"""The lock file each output directory gets."""


@dataclass(frozen=True)
class WrittenReport:
    """Where :func:`write_report` put the files.

    Attributes:
        report_id: The id every file names.
        json: ``estimate.json``.
        markdown: ``estimate.md``.
        html: ``estimate.html``.
        figures: The SVG and PDF files, in page order.
        removed: Stale figure files of an earlier run that were deleted.
    """

    report_id: str
    json: Path
    markdown: Path
    html: Path
    figures: tuple[Path, ...]
    removed: tuple[Path, ...]


def report_id(report: EstimateReport) -> str:
    """The first 16 hex digits of the SHA-256 of the report's canonical JSON."""
    return strong_id(report.to_dict())[:16]


@contextmanager
def _locked(directories: list[Path]) -> Iterator[None]:
    """Exclusive ``flock`` on each directory's lock file, taken in path order (no deadlock).

    Without ``fcntl`` (Windows) the renames still replace whole files, unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with ExitStack() as stack:
        for directory in sorted({d.resolve() for d in directories}):
            handle = stack.enter_context(open(directory / LOCK_NAME, "a"))
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _temporary(path: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; these are reports to share
    return Path(tmp)


def write_report(report: EstimateReport, out: Path, page_dir: Path | None = None) -> WrittenReport:
    """Write the report's JSON and Markdown to ``out`` and its page and figures to ``page_dir``.

    Args:
        report: The report.
        out: Directory of ``estimate.json`` and ``estimate.md`` (created if missing).
        page_dir: Directory of ``estimate.html`` and the figure files. Defaults to ``out``.

    Returns:
        The paths written.

    Raises:
        ResourceError: When a directory or file cannot be written (one line).
    """
    page_dir = page_dir or out
    rid = report_id(report)
    shown = figures(report)
    svgs = {fig.name: loglog_svg(fig.plot) for fig in shown}
    names = [f"{fig.name}.{ext}" for fig in shown for ext in ("svg", "pdf")]
    document = {"report_id": rid, **report.to_dict()}
    stamp = f"Report id {rid} (estimate.json, estimate.md and this page come from one run)."
    contents: list[tuple[Path, bytes]] = []
    for fig in shown:
        contents.append((page_dir / f"{fig.name}.svg", svgs[fig.name].encode()))
        contents.append((page_dir / f"{fig.name}.pdf", loglog_pdf(fig.plot)))
    page = to_html(report, svgs, figure_links=True).replace(
        "<h2>Versions</h2>", f'<p id="report-id">{stamp}</p>\n<h2>Versions</h2>', 1
    )
    page = page.replace(
        '<meta charset="utf-8">',
        f'<meta charset="utf-8"><meta name="report-id" content="{rid}">',
        1,
    )
    contents += [
        (out / "estimate.json", json.dumps(document, indent=1).encode()),
        (out / "estimate.md", (to_markdown(report, names) + f"\n{stamp}\n").encode()),
        (page_dir / "estimate.html", page.encode()),  # last: the page appears when all is there
    ]
    temporary: list[Path] = []
    removed: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        page_dir.mkdir(parents=True, exist_ok=True)
        with _locked([out, page_dir]):
            temporary = [_temporary(path, data) for path, data in contents]
            for tmp, (path, _) in zip(temporary, contents, strict=True):
                os.replace(tmp, path)
            temporary = []
            for stale in sorted(page_dir.glob(f"{FIGURE_PREFIX}*")):
                if stale.suffix in (".svg", ".pdf") and stale.name not in names:
                    stale.unlink()
                    removed.append(stale)
    except OSError as exc:
        raise ResourceError(f"cannot write the estimate to {out}: {exc}") from None
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
    return WrittenReport(
        rid,
        out / "estimate.json",
        out / "estimate.md",
        page_dir / "estimate.html",
        tuple(page_dir / name for name in names),
        tuple(removed),
    )
