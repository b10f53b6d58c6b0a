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
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _train_tables():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "examples"))
    import train_tables

    return train_tables


_WORDS = st.text(alphabet="abc xyz.,()=", min_size=0, max_size=30)


@given(doc=_WORDS, comment=_WORDS, value=st.integers(-5, 5), other=st.integers(-5, 5))
@settings(max_examples=60, deadline=None)
def test_code_digest_ignores_docstrings_comments_and_layout_but_not_code(
    doc: str, comment: str, value: int, other: int
) -> None:
    digest = _train_tables().code_digest
    plain = f"X = {value}\n\n\nclass A:\n    def f(self, y):\n        return y * X\n"
    dressed = (
        f'"""{doc}"""\nX = ({value})  # {comment}\n"""{doc} attribute docstring."""\n'
        f'class A:\n    """{doc}"""\n\n    def f(self, y):  # {comment}\n'
        f'        """{doc}"""\n        return y  *  X\n'
    )
    assert digest(dressed) == digest(plain)
    changed = plain.replace(f"X = {value}", f"X = {other}")
    assert (digest(changed) == digest(plain)) == (value == other)
    assert digest(plain.replace("y * X", "y + X")) != digest(plain)


def test_run_key_is_unchanged_by_a_docstring_edit_of_the_training_code() -> None:
    tables = _train_tables()
    engine = ROOT / "runtime" / "simulators" / "noisy" / "trajectories.py"
    source = engine.read_text()
    edited = source.replace('"""Unbiased noisy', '"""Edited: unbiased noisy', 1)
    assert edited != source
    assert tables.code_digest(edited) == tables.code_digest(source)
    assert tables.code_digest(
        source.replace("CHUNK_BYTES = 1 << 24", "CHUNK_BYTES = 1 << 23")
    ) != tables.code_digest(source)
