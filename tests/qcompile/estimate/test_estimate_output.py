"""The files of ``qcompile estimate``: one run's JSON, Markdown, page and figures side by side."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from qcompile.cli import main
from qcompile.estimate.output import LOCK_NAME
from qcompile.estimate.render import FIGURE_PREFIX


def _ids(out: Path, page_dir: Path) -> dict[str, str]:
    """The report id each file names, read the way a user would (no shared code with output)."""
    data = json.loads((out / "estimate.json").read_text())
    md = re.findall(r"Report id ([0-9a-f]{16})", (out / "estimate.md").read_text())
    page = (page_dir / "estimate.html").read_text()
    meta = re.findall(r'<meta name="report-id" content="([0-9a-f]{16})">', page)
    shown = re.findall(r"Report id ([0-9a-f]{16})", page)
    assert len(md) == len(meta) == len(shown) == 1
    return {"json": data["report_id"], "md": md[0], "meta": meta[0], "page": shown[0]}


def _figure_files(page_dir: Path) -> set[str]:
    return {
        p.name
        for p in page_dir.iterdir()
        if p.name.startswith(FIGURE_PREFIX) and p.suffix in (".svg", ".pdf")
    }


def _linked(page_dir: Path) -> set[str]:
    return set(re.findall(r'<a href="([^"]+)">', (page_dir / "estimate.html").read_text()))


@pytest.mark.slow
def test_a_second_run_into_the_same_out_leaves_one_runs_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # First run: two profiles (ten device figures); second: one profile, other sizes.
    first = ["estimate", "qama", "--seq-len", "2..8", "--time-budget", "0", "--json"]
    assert main([*first, "--profile", "heron_r2,eagle_r3", "--out", str(tmp_path)]) == 0
    one = json.loads(capsys.readouterr().out)
    ids = _ids(tmp_path, tmp_path)
    assert set(ids.values()) == {one["report_id"]}
    before = _figure_files(tmp_path)
    assert before == _linked(tmp_path)  # every figure file is linked from the page, and no other
    second = ["estimate", "qama", "--seq-len", "2..4", "--time-budget", "0", "--json"]
    assert main([*second, "--out", str(tmp_path)]) == 0
    two = json.loads(capsys.readouterr().out)
    assert two["report_id"] != one["report_id"]
    assert set(_ids(tmp_path, tmp_path).values()) == {two["report_id"]}
    after = _figure_files(tmp_path)
    assert after == _linked(tmp_path) and len(after) < len(before)  # eagle_r3's are gone
    data = json.loads((tmp_path / "estimate.json").read_text())
    assert [r["seq_len"] for r in data["rows"]] == [2, 4] and data["profiles"] == ["heron_r2"]
    page = (tmp_path / "estimate.html").read_text()
    assert page.count('<tr class="analytic">') == len(data["rows"])
    for name in after:  # real files a reader can open
        blob = (tmp_path / name).read_bytes()
        if name.endswith(".pdf"):
            assert blob.startswith(b"%PDF-") and b"%%EOF" in blob[-64:]
        else:
            assert ET.fromstring(blob).tag == "{http://www.w3.org/2000/svg}svg"
    leftovers = {p.name for p in tmp_path.iterdir()} - after
    assert leftovers == {"estimate.json", "estimate.md", "estimate.html", LOCK_NAME}


@pytest.mark.slow
def test_concurrent_runs_into_one_out_leave_files_of_one_run(tmp_path: Path) -> None:
    # Two users' commands at once, as separate processes (the lock is an OS file lock).
    page_dir = tmp_path / "page"
    runs = [
        ["--seq-len", "2..4", "--profile", "heron_r2"],
        ["--seq-len", "2..8", "--profile", "heron_r2"],
    ]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qcompile.cli",
                "estimate",
                "qlam",
                *args,
                "--time-budget",
                "0",
                "--json",
                "--out",
                str(tmp_path),
                "--html",
                str(page_dir),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for args in runs
    ]
    printed = [json.loads(proc.communicate(timeout=600)[0]) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    ids = set(_ids(tmp_path, page_dir).values())
    assert len(ids) == 1
    (winner,) = [r for r in printed if r["report_id"] in ids]
    assert _figure_files(page_dir) == _linked(page_dir)
    assert len(_figure_files(page_dir)) == 2 * (5 + 1)
    assert json.loads((tmp_path / "estimate.json").read_text())["rows"] == winner["rows"]
    assert not [p for p in (*tmp_path.iterdir(), *page_dir.iterdir()) if p.suffix == ".tmp"]


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return its exit code and what it drew."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # a terminal 100 columns wide (a fresh pseudo-terminal has none: tqdm would draw nothing)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qcompile.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    return proc.wait(timeout=600), drawn.decode(errors="replace")


@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    args = ["estimate", "qlaci", "--seq-len", "4", "--qram", "multiplexer", "--qdk-seq-len"]
    args += ["none", "--compile-max-qubits", "14", "--out", str(tmp_path)]
    code, drawn = _run_on_a_terminal(args)
    assert code == 0 and "compiling" in drawn and "1/1" in drawn, drawn
    code, drawn = _run_on_a_terminal([*args, "--json"])
    assert code == 0 and drawn == ""  # --json: quiet even on a terminal
