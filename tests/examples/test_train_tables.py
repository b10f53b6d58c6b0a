"""``examples/train_tables.py`` as a user runs it: a page, its figures, and runs that verify.

The quick protocol on one needle task and two classical baselines, one seed: the page's rows
must carry what ran and the parameter comparison, the SVG must be beside the page, and the
per-run ``--verify`` command must retrain the run bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "examples/train_tables.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_quick_page_labels_rows_draws_curves_and_verifies_bit_for_bit(tmp_path: Path) -> None:
    runs, doc = tmp_path / "runs", tmp_path / "page" / "results.md"
    common = ["--quick", "--tasks", "needle-4", "--models", "softmax-attn", "mean-pool"]
    where = ["--runs", str(runs), "--doc", str(doc)]
    done = _script(*common, "--seeds", "1", "--workers", "1", *where)
    assert done.returncode == 0, done.stdout + done.stderr
    page = doc.read_text()
    (key,) = [p.name for p in runs.iterdir()]
    record = json.loads((runs / key / "needle-4" / "mean-pool" / "seed0" / "run.json").read_text())
    assert record["quantum"] is False and record["execution"]["label"] == "classical"
    params = record["parameters"]
    softmax = json.loads(
        (runs / key / "needle-4" / "softmax-attn" / "seed0" / "run.json").read_text()
    )["parameters"]
    row = next(line for line in page.splitlines() if line.startswith("| needle-4 | mean-pool"))
    assert f"| classical | {params} | {params / softmax:.2f}×" in row
    assert "](training_results/needle-4.svg)" in page
    assert (doc.parent / "training_results" / "needle-4.svg").read_text().startswith("<?xml")
    listing = (doc.parent / "training_results" / "runs.md").read_text()
    assert f"--key {key} --tasks needle-4 --models mean-pool --seed 0" in listing
    verified = _script("--verify", "--key", key, *common, "--seed", "0", "--runs", str(runs))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("IDENTICAL") == 2
