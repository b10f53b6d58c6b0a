"""Pin the estimate: closed forms vs built circuits, classical FLOPs, surface code, HTML, CLI."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from hardware_profiles.errors import ResourceError
from qcompile.cli import main
from qcompile.estimate import (
    EstimateReport,
    SurfaceCodeModel,
    classical_attention_cost,
    estimate,
    estimate_surface_code,
    logical_error_rate,
    logical_size,
    summary_line,
    to_html,
    to_markdown,
)
from qcompile.estimate.report import COMPILABLE_KINDS, QRAM_KINDS
from qcompile.models import count_resources
from qcompile.models.catalog import ESTIMATE_MODELS, MODEL_NAMES, ModelSpec, build_model
from qcompile.qram import lowered_cx_count, qram_lowering_pass_manager
from tests.qcompile.estimate.conftest import COMPILE_MAX_QUBITS, SEQ_LENS

KINDS = COMPILABLE_KINDS


@pytest.mark.parametrize("seq_len", [4, 16])
@pytest.mark.parametrize("kind", KINDS)
def test_qlaci_closed_form_equals_lowered_circuit(seq_len: int, kind: str) -> None:
    circuit = build_model(ModelSpec("qlaci", seq_len)).circuit
    lowered = qram_lowering_pass_manager(kind).run(circuit)
    size = logical_size("qlaci", seq_len, kind)
    assert size.qubits == lowered.num_qubits
    assert size.two_qubit_gates == lowered_cx_count(lowered)
    assert size.depth >= lowered.depth()


@pytest.mark.parametrize("model", [m for m in ESTIMATE_MODELS if not m.startswith("qlaci")])
def test_other_models_closed_form_equals_built(model: str) -> None:
    built = count_resources(build_model(ModelSpec(model, 4)))
    size = logical_size(model, 4, None)
    assert (size.qubits, size.two_qubit_gates) == (built.num_qubits, built.num_two_qubit_gates)


@pytest.mark.slow
def test_report_marks_compiled_and_analytic(qlaci_report: EstimateReport) -> None:
    rows = {(r.seq_len, r.qram, r.profile): r for r in qlaci_report.rows}
    assert len(rows) == len(qlaci_report.rows) == len(SEQ_LENS) * len(QRAM_KINDS) * 2
    compiled = rows[(4, "multiplexer", "heron_r2")]
    assert compiled.source == "compiled"
    assert compiled.two_qubit_depth is not None
    oracle = rows[(4, "oracle", "heron_r2")]
    assert oracle.source == "analytic" and oracle.two_qubit_depth is None
    # past the compile limit: the closed form scaled by the routing model, with its band
    far = rows[(1 << 20, "multiplexer", "heron_r2")]
    assert far.source == "extrapolated" and far.two_qubit_depth is None and far.closed_form
    low, high = far.band["two_qubit_gates"]
    assert low <= far.two_qubit_gates <= high and far.closed_form["two_qubit_gates"] > 0
    assert far.two_qubit_gates >= rows[(64, "multiplexer", "heron_r2")].two_qubit_gates
    for n in SEQ_LENS:
        ft = rows[(n, "multiplexer", "ft_logical")]
        assert ft.source == "analytic" and ft.fault_tolerant and ft.success_probability is None
    nothing = estimate("qlaci", [4], ["qrom"], ["heron_r2"], time_budget=0, qdk_seq_lens=())
    assert [r.source for r in nothing.rows] == ["analytic"]
    assert nothing.qdk == "qdk comparison not requested" and nothing.versions["qiskit"]


@pytest.mark.slow
def test_every_compiled_row_equals_its_closed_form(qlaci_report: EstimateReport) -> None:
    compiled = [r for r in qlaci_report.rows if r.source == "compiled"]
    # every size narrow enough compiled, however busy the machine (compile_at_least)
    fits = {
        (n, k)
        for n in SEQ_LENS
        for k in COMPILABLE_KINDS
        if logical_size("qlaci", n, k).qubits <= COMPILE_MAX_QUBITS
    }
    assert {(r.seq_len, r.qram) for r in compiled} == fits
    assert {r.profile for r in compiled} == {"heron_r2"}
    assert len({k for n, k in fits if n == 4}) >= 3 and (64, "multiplexer") in fits
    for row in compiled:
        size = logical_size("qlaci", row.seq_len, row.qram)
        assert (row.logical_qubits, row.logical_two_qubit_gates) == (
            size.qubits,
            size.two_qubit_gates,
        ), row
        assert row.qubits >= size.qubits - 2  # active device qubits: idle wires may drop out
        assert row.duration_s and 0 < (row.success_probability or 0) <= 1


def _counted_attention_flops(n: int, d: int) -> int:
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(3, n, d))
    flops = 0
    scores = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            acc = q[i, 0] * k[j, 0]
            flops += 1
            for c in range(1, d):
                acc += q[i, c] * k[j, c]
                flops += 2
            scores[i, j] = acc / math.sqrt(d)
            flops += 1
    out = np.zeros((n, d))
    for i in range(n):
        m = scores[i, 0]
        for j in range(1, n):
            m = max(m, scores[i, j])
            flops += 1
        e = [math.exp(scores[i, j] - m) for j in range(n)]
        flops += 2 * n
        total = e[0]
        for j in range(1, n):
            total += e[j]
            flops += 1
        p = [x / total for x in e]
        flops += n
        for c in range(d):
            acc = p[0] * v[0, c]
            flops += 1
            for j in range(1, n):
                acc += p[j] * v[j, c]
                flops += 2
            out[i, c] = acc
    scaled = q @ k.T / math.sqrt(d)
    weights = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out, (weights / weights.sum(axis=1, keepdims=True)) @ v)
    return flops


@pytest.mark.parametrize(("n", "d"), [(1, 1), (3, 2), (8, 4), (16, 3)])
def test_classical_flops_equal_direct_count(n: int, d: int) -> None:
    assert classical_attention_cost(n, d).flops == _counted_attention_flops(n, d)
    assert classical_attention_cost(n, d).memory_words == n * n + 4 * n * d


def test_surface_code_monotone_and_distance_minimal() -> None:
    model = SurfaceCodeModel()
    previous = None
    for t in [0, 10, 10**3, 10**6, 10**9, 10**12]:
        est = estimate_surface_code(100, t, 0, max(t // 10, 1), model)
        if previous is not None:
            assert est.distance >= previous.distance
            assert est.physical_qubits >= previous.physical_qubits
            assert est.runtime_s >= previous.runtime_s
        part = model.error_budget / 3
        layers = est.runtime_s / model.cycle_time_s / est.distance
        assert est.logical_error <= part
        if est.distance > 3:
            d = est.distance - 2
            worse = 100 * round(layers) * d * logical_error_rate(d, model.physical_error)
            assert worse > part
        previous = est
    with_rotations = estimate_surface_code(100, 0, 1000, 1000, model)
    assert with_rotations.t_count == 1000 * with_rotations.t_per_rotation


class _Collector(HTMLParser):
    """Checks the page's tags nest and counts what the plots draw, by the ids of their groups."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.svgs = 0
        self.curves: list[str] = []
        self.markers = {"filled": 0, "hollow": 0}
        self.ids: list[str] = []
        self.balanced = True

    def _group(self) -> str:
        return next((gid for tag, gid in reversed(self.stack) if tag == "g" and gid), "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        gid = dict(attrs).get("id") or ""
        if gid:
            self.ids.append(gid)
        if tag == "svg":
            self.svgs += 1
        if tag != "meta":
            self.stack.append((tag, gid))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(attributes["id"] or "")
        group = self._group()
        if tag == "path" and "-curve-" in group:
            self.curves.append(attributes.get("d") or "")
        if tag == "use":
            for kind in self.markers:
                self.markers[kind] += f"-{kind}-" in group

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop()[0] != tag:
            self.balanced = False


def test_html_is_self_contained_with_one_svg_per_plot() -> None:
    report = estimate(
        "qlaci",
        [1 << e for e in range(4, 11)],
        ["qrom", "oracle"],
        ["heron_r2", "ft_logical"],
        time_budget=0,
        qdk_seq_lens=(),
    )
    page = to_html(report)
    parser = _Collector()
    parser.feed(page)
    assert parser.balanced and not parser.stack
    # heron_r2: qubits, 2q gates, depth, success, duration; ft_logical: logical qubits, 2q
    # gates, physical qubits, runtime; then classical FLOPs on a figure of their own
    assert parser.svgs == page.count("<svg") == 5 + 4 + 1
    # nothing compiled: a hollow marker per (kind, N, device plot), the FLOPs filled
    assert parser.markers == {"filled": 7, "hollow": 2 * 7 * (5 + 4)}
    # a curve per kind per device plot, and the FLOPs one, each through all 7 N
    assert len(parser.curves) == 2 * (5 + 4) + 1
    assert all(d.count("L") == 6 for d in parser.curves)
    assert len(parser.ids) == len(set(parser.ids))  # ten plots in one page, no id twice
    namespaces = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")
    offline = page
    for namespace in namespaces:
        offline = offline.replace(namespace, "")
    assert "http" not in offline and "<script" not in page  # nothing to fetch
    assert to_html(report) == page  # identical data, identical page
    md = to_markdown(report)
    assert "| 1024 | qrom | heron_r2 | analytic |" in md


@pytest.mark.slow
def test_the_smallest_sizes_compile_whatever_the_time_budget() -> None:
    # A budget far too short to compile anything (a loaded machine): the smallest fitting N
    # of each kind still compiles, so which rows are compiled does not depend on speed.
    report = estimate(
        "qlaci",
        [4, 16, 1024],
        ["multiplexer", "select-swap", "oracle"],
        ["heron_r2"],
        compile_max_qubits=14,
        time_budget=1e-9,
        qdk_seq_lens=(),
    )
    source = {(r.seq_len, r.qram): r.source for r in report.rows}
    assert source[(4, "multiplexer")] == source[(4, "select-swap")] == "compiled"
    assert source[(16, "select-swap")] == "extrapolated"  # 16 qubits: beyond the width limit
    assert source[(1024, "multiplexer")] == "extrapolated"  # from its compiled N = 4
    assert source[(4, "oracle")] == "analytic"
    # the summary line says the budget ran out, what is next and how much more it needs
    line = summary_line(report)
    assert "2 compiled" in line and "time budget 1e-09 s ran out" in line, line
    assert "the next (N=16 multiplexer on heron_r2) needs about" in line, line
    assert re.search(r"\(--time-budget \d+\)$", line), line
    with pytest.raises(ResourceError, match="compile_at_least must be >= 0"):
        estimate("qlaci", [4], ["qrom"], ["heron_r2"], compile_at_least=-1, qdk_seq_lens=())


def test_models_without_a_closed_form_are_not_estimated() -> None:
    for model in set(MODEL_NAMES) - set(ESTIMATE_MODELS):
        with pytest.raises(ResourceError, match="unknown model"):
            logical_size(model, 4, None)
        with pytest.raises(ResourceError, match="unknown model"):
            estimate(model, [4], [], ["heron_r2"], time_budget=0, qdk_seq_lens=())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seq-len", "6"], "bad size '6' for --seq-len: holds no power of two"),
        (["--seq-len", "1..8"], "need 2 <= LO <= HI <= 2^30"),
        (["--seq-len", "16", "--qdk-seq-len", "x"], "bad size 'x' for --qdk-seq-len"),
    ],
)
def test_cli_size_errors_name_the_option(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", "qlaci", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--seq-len", "16..x"],
        ["--seq-len", "16", "--qram", "nope"],
        ["--seq-len", "16", "--profile", "nope"],
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", "qlaci", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("qcompile: error:")


_QAMA_PLOTS = (
    "0-qubits",
    "0-two-qubit-gates",
    "0-depth",
    "0-neg-ln-success",
    "0-duration-s",
    "classical-flops",
)


@pytest.mark.slow
def test_cli_writes_json_markdown_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["estimate", "qama", "--seq-len", "2..8", "--time-budget", "0", "--json"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["seq_len"] for r in report["rows"]] == [2, 4, 8]
    assert report["versions"]["qiskit"] and report["profiles"] == ["heron_r2"]
    assert report["qdk"] == "qdk comparison: qama has no QRAM lookup to compare"
    figures = {f"estimate-plot-{p}.{ext}" for p in _QAMA_PLOTS for ext in ("svg", "pdf")}
    assert {p.name for p in tmp_path.iterdir()} == {
        "estimate.json",
        "estimate.md",
        "estimate.html",
        ".estimate.lock",
        *figures,
    }
    page_dir = tmp_path / "page"
    assert main([*args, "--out", str(tmp_path / "data"), "--html", str(page_dir)]) == 0
    assert {p.name for p in page_dir.iterdir()} == {"estimate.html", ".estimate.lock", *figures}
    assert {p.name for p in (tmp_path / "data").iterdir()} == {
        "estimate.json",
        "estimate.md",
        ".estimate.lock",
    }
    assert main([*args, "--out", str(tmp_path), "--qdk-seq-len", "x"]) == 2
