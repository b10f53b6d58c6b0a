"""The "qlaci-kernel: sharpening and finite shots" subsection of the training results page.

``examples/qlaci_kernel_eval.py`` measures and writes :data:`OUTPUT` beside a run key's runs;
``examples/train_tables.py`` reads it and puts :func:`render_section` under "Needle
retrieval". Numbers are mean ± sample standard deviation over seeds, as in the page's tables.
"""

from __future__ import annotations

import statistics
from typing import Any

OUTPUT = "qlaci-kernel-eval.json"
"""The file ``qlaci_kernel_eval.py`` writes next to the runs, and ``train_tables.py`` reads."""
MIN_NOISY_SAMPLES = 10
"""Below this many test samples the noisy column is a cost probe, not an accuracy."""

__all__ = ["MIN_NOISY_SAMPLES", "OUTPUT", "render_section"]


def _fmt(values: list[float], digits: int = 3) -> str:
    if not values:
        return "–"
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _sci(values: list[float]) -> str:
    return f"{statistics.fmean(values):.2g}"


def _cpu(runs: list[dict[str, Any]]) -> str:
    """The CPU time the measurements took, as the JSON records it."""
    kernel = sum(r.get("kernel_cpu_s", 0.0) for r in runs)
    spent = {"ideal": 0.0, "ideal_sharpened": 0.0, "noisy": 0.0}
    for r in runs:
        for kind, shots in r["shots"].items():
            spent[kind] += shots["cpu_s_per_sample"] * shots["samples"]
    total = (kernel + sum(spent.values())) / 60
    return (
        f"CPU time measured: {total:.1f} min ({kernel / 60:.1f} exact and sharpened, "
        f"{spent['ideal'] / 60:.1f} Aer ideal, {spent['ideal_sharpened'] / 60:.1f} Aer ideal "
        f"sharpened, {spent['noisy'] / 60:.1f} Aer noisy; model loading and compiling not "
        "counted)."
    )


def _verdict(
    runs: list[dict[str, Any]],
    tasks: list[str],
    sharpen: list[str],
    softmax: dict[str, float],
    capped: frozenset[str],
) -> list[str]:
    """Whether softmax attention was matched per task (exact), and the measured reason if not."""
    matched, missed = [], []
    for task in tasks:
        if task not in softmax:
            continue
        rs = [r for r in runs if r["task"] == task]
        acc = {m: statistics.fmean(r["sharpened"][m]["acc"] for r in rs) for m in sharpen}
        p = {m: statistics.fmean(r["sharpened"][m]["p"] for r in rs) for m in sharpen}
        best = max(sharpen, key=lambda m: (acc[m], -int(m)))
        first = next((m for m in sharpen if acc[m] >= softmax[task]), None)
        one = sharpen[0]
        if first is not None:
            said = f"{task}: κ^{first} {acc[first]:.3f} vs softmax {softmax[task]:.3f}"
            if first != one:
                said += (
                    f" (κ^{one} {acc[one]:.3f}), at {p[one] / p[first]:.1f}× the shots of "
                    f"κ^{one} for the same precision (p {p[first]:.2g} vs {p[one]:.2g})"
                )
            if best != first:
                said += f"; best κ^{best} {acc[best]:.3f} (p {p[best]:.2g})"
            matched.append(said)
            continue
        top = sharpen[-1]
        weight = statistics.fmean(r["sharpened"][top]["needle_weight"] for r in rs)
        top1 = statistics.fmean(r["argmax"]["top1"] for r in rs)
        hard = statistics.fmean(r["argmax"]["acc"] for r in rs)
        reason = (
            f"{task}: best κ^{best} {acc[best]:.3f} vs softmax {softmax[task]:.3f} "
            f"(κ^{one} {acc[one]:.3f}). Measured reason: at κ^{top} the mean attention weight "
            f"on the matching key is only {weight:.3f} (uniform: {1 / rs[0]['n']:.3f}); the "
            f"largest kernel falls on the matching key in {top1:.0%} of the test samples, and "
            f"even hard attention on it (argmax) scores {hard:.3f}. "
        )
        if p[one] > 0.5:
            reason += (
                f"The kernel is nearly flat (p = mean_j κ = {p[one]:.2g} at κ^{one}: most keys "
                "look alike to the query). "
            )
        if top1 < 0.5:
            reason += (
                "The trained query/key projections and feature map do not single out the "
                "matching key, so sharpening raises the wrong keys' weights with the right "
                "one's: none of the measured powers retrieves. "
            )
        else:
            reason += "The kernel ranks the matching key first; the value read-out lags. "
        if all(r["stopped_early"] for r in rs):
            reason += (
                "The runs stopped early (epochs run "
                + ", ".join(str(r["epochs_done"]) for r in rs)
                + "; best validation epochs "
                + ", ".join(str(r["best_epoch"]) for r in rs)
                + ") on a validation-loss plateau, before the retrieval was learned (see the "
                f"curves above). Sharpening also cuts p from {p[one]:.2g} to {p[top]:.2g}."
            )
        missed.append(reason)
    out = []
    if matched:
        out.append(
            "**Softmax attention matched or beaten, exactly (no shot noise), with sharpening "
            "at evaluation time** (the cheapest m that does it): " + "; ".join(matched) + "."
        )
    if missed:
        out += ["", "**Softmax attention not matched:** " + " ".join(missed)]
    if capped & set(softmax):
        out += [
            "",
            "softmax-attn reached the epoch cap still improving on "
            + ", ".join(sorted(capped & set(softmax), key=lambda t: int(t.split("-")[1])))
            + " (table above): its accuracy there is a lower bound, so a match here may not "
            "survive a longer softmax run.",
        ]
    return out


def _sharpened_shots(runs: list[dict[str, Any]], tasks: list[str], budgets: list[str]) -> list[str]:
    """The table of the sharpened circuits sampled on ideal Aer, if any were."""
    rows = []
    for task in tasks:
        rs = [
            r["shots"]["ideal_sharpened"]
            for r in runs
            if r["task"] == task and "ideal_sharpened" in r["shots"]
        ]
        if not rs:
            continue
        m = str(rs[0]["copies"])
        full = [r for r in runs if r["task"] == task]
        exact = [r["sharpened"][m]["acc"] for r in full if m in r["sharpened"]]
        p = [r["sharpened"][m]["p"] for r in full if m in r["sharpened"]]
        cells = [task, m, str(rs[0]["two_qubit_gates"]), str(rs[0]["active_qubits"])]
        cells += [_fmt(exact), f"{statistics.fmean(p):.3f}" if p else "–"]
        for b in budgets:
            kept = statistics.fmean(s["budgets"][b]["kept_fraction"] for s in rs)
            cells.append(f"{_fmt([s['budgets'][b]['acc'] for s in rs])} ({kept:.3f})")
        cells.append(f"{statistics.fmean(s['cpu_s_per_sample'] for s in rs):.2f}")
        rows.append("| " + " | ".join(cells) + " |")
    if not rows:
        return []
    head = ["task", "m", "2q gates", "qubits", "exact κ^m", "p at κ^m"]
    head += [f"ideal κ^m {b} (kept)" for b in budgets] + ["CPU s / sample"]
    return [
        "",
        "The sharpened circuit itself (m copies of the feature map, the same trained weights), "
        "compiled the same way and sampled on ideal Aer (statevector), every test sample:",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *rows,
    ]


def _shot_verdict(
    runs: list[dict[str, Any]], tasks: list[str], budgets: list[str], softmax: dict[str, float]
) -> str:
    """Whether the sampled one-copy circuit matched softmax at the largest shot budget."""
    top = budgets[-1]
    said, reached = [], []
    for task in tasks:
        rs = [r for r in runs if r["task"] == task and r["shots"] and task in softmax]
        if not rs:
            continue
        ideal = statistics.fmean(r["shots"]["ideal"]["budgets"][top]["acc"] for r in rs)
        text = f"{task} ideal {ideal:.3f}"
        sharp = [r["shots"]["ideal_sharpened"] for r in rs if "ideal_sharpened" in r["shots"]]
        if sharp:
            sharp_acc = statistics.fmean(s["budgets"][top]["acc"] for s in sharp)
            text += f", ideal κ^{sharp[0]['copies']} {sharp_acc:.3f}"
            ideal = max(ideal, sharp_acc)
        noisy = [r["shots"]["noisy"] for r in rs if "noisy" in r["shots"]]
        if noisy and min(s["samples"] for s in noisy) >= MIN_NOISY_SAMPLES:
            acc = statistics.fmean(s["budgets"][top]["acc"] for s in noisy)
            text += f", noisy {acc:.3f} (first k samples)"
        said.append(f"{text} vs softmax {softmax[task]:.3f}")
        if ideal >= softmax[task]:
            reached.append(task)
    if not said:
        return ""
    verdict = (
        "softmax attention matched (ideal) on " + ", ".join(reached)
        if reached
        else "softmax attention is not matched on any task"
    )
    return f"**At {top} shots**: " + "; ".join(said) + f". At this budget {verdict}."


def render_section(
    record: dict[str, Any],
    softmax: dict[str, float] | None = None,
    capped: frozenset[str] = frozenset(),
) -> str:
    """The page's "qlaci-kernel: sharpening and finite shots" subsection (Markdown).

    Args:
        record: The JSON this script writes.
        softmax: Mean softmax-attention accuracy per task, for the verdicts. Defaults to none.
        capped: Tasks whose softmax-attention runs all reached the epoch cap. Defaults to none.

    Returns:
        The subsection, starting with its ``###`` heading.
    """
    runs = record["runs"]
    settings = record["settings"]
    tasks = sorted({r["task"] for r in runs}, key=lambda t: int(t.split("-")[1]))
    sharpen = [str(m) for m in settings["sharpen"]]
    budgets = [str(b) for b in sorted(settings["shots"])]
    prof = record["profile"]
    lines = [
        "### qlaci-kernel: sharpening and finite shots",
        "",
        f"Produced by `{record['command']}` ({record['written']}; profile `{prof['name']}`, "
        f"calibration {prof['calibration_date']}, digest `{prof['digest'][:12]}`; "
        + ", ".join(f"{k} {v}" for k, v in record["versions"].items())
        + f"), written to `{OUTPUT}` beside the runs of key `{record['run_key']}`. "
        "The stored checkpoint is the **last** epoch's (the table above reports the best "
        "validation epoch), so every column here is of that checkpoint, beside its own exact "
        "accuracy. Mean ± sample standard deviation over the seeds; one test set of "
        f"{runs[0]['test_samples']} samples per task, as in the table. Aer and the shot "
        "subsets are seeded; `--resume` reuses the Aer results already in the JSON (same shot "
        "settings), and the command without it measures everything again.",
        "",
        "**Sharpening** (kernel κ^m: m copies of the feature map sharing the trained "
        "weights; the runs trained with one copy, so m is chosen at evaluation time; contexts "
        "from the numpy reference, which equals the m-copy circuit to 1e-10 in "
        "`tests/qcompile/models/test_qlaci_kernel.py`). *p* is the mean post-selection "
        "probability mean_j κ(q, k_j)^m: "
        "a shot is kept with probability *p*, so the shots for a given precision grow as "
        "1/*p*. *needle weight* is the mean attention weight κ_true^m / Σ_j κ_j^m on the "
        "matching key; *argmax* is m → ∞ (the value of the key of largest kernel).",
        "",
    ]
    head = ["task", "best-epoch acc (table)", "last-epoch exact (κ)"]
    head += [f"κ^{m}" for m in sharpen] + ["argmax", "softmax-attn"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for task in tasks:
        rs = [r for r in runs if r["task"] == task]
        cells = [task, _fmt([r["best_epoch_acc"] for r in rs]), _fmt([r["exact"] for r in rs])]
        cells += [_fmt([r["sharpened"][m]["acc"] for r in rs]) for m in sharpen]
        cells.append(_fmt([r["argmax"]["acc"] for r in rs]))
        cells.append(f"{softmax[task]:.3f}" if softmax and task in softmax else "–")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| task | " + " | ".join(f"p at κ^{m}" for m in sharpen)]
    lines[-1] += " | " + " | ".join(f"needle weight at κ^{m}" for m in sharpen) + " |"
    lines.append("|" + "---|" * (1 + 2 * len(sharpen)))
    for task in tasks:
        rs = [r for r in runs if r["task"] == task]
        cells = [task] + [_sci([r["sharpened"][m]["p"] for r in rs]) for m in sharpen]
        cells += [_fmt([r["sharpened"][m]["needle_weight"] for r in rs]) for m in sharpen]
        lines.append("| " + " | ".join(cells) + " |")
    if softmax:
        lines += ["", *_verdict(runs, tasks, sharpen, softmax, capped)]
    if budgets and any(r["shots"] for r in runs):
        lines += [
            "",
            f"**Finite shots** (the trained circuit, κ¹, compiled for `{prof['name']}` with "
            "multiplexer lookups, sampled on Aer and post-selected on query = 0; the budget "
            "counts shots *before* post-selection, *kept* is the mean kept fraction, to compare "
            "with *p* at κ¹; each smaller budget is a random subset of the largest's shots). "
            "Ideal: statevector, every test sample. Noisy: the profile's noise model, Aer "
            "`density_matrix` (exact noisy state, shots sampled from it), on the first *k* test "
            "samples only, with the exact and ideal accuracy of those same *k* samples beside "
            "it. " + _cpu(runs),
            "",
        ]
        head = ["task", "2q gates", "qubits", "last-epoch exact"]
        head += [f"ideal {b} (kept)" for b in budgets]
        head += ["noisy k", f"exact, ideal {budgets[-1]} on k"]
        head += [f"noisy {b} (kept)" for b in budgets]
        head += ["CPU s / sample ideal, noisy (both budgets)"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for task in tasks:
            rs = [r for r in runs if r["task"] == task and r["shots"]]
            if not rs:
                continue
            ideal = [r["shots"]["ideal"] for r in rs]
            cells = [task, str(ideal[0]["two_qubit_gates"]), str(ideal[0]["active_qubits"])]
            cells.append(_fmt([r["exact"] for r in rs]))
            for b in budgets:
                kept = statistics.fmean(s["budgets"][b]["kept_fraction"] for s in ideal)
                cells.append(f"{_fmt([s['budgets'][b]['acc'] for s in ideal])} ({kept:.3f})")
            noisy = [r["shots"]["noisy"] for r in rs if "noisy" in r["shots"]]
            cpu_ideal = statistics.fmean(s["cpu_s_per_sample"] for s in ideal)
            if noisy and min(s["samples"] for s in noisy) >= MIN_NOISY_SAMPLES:
                cells.append(" / ".join(sorted({str(s["samples"]) for s in noisy})))
                on_k = _fmt([s["exact_on_subset"] for s in noisy])
                on_k += ", " + _fmt([s["ideal_on_subset"][budgets[-1]] for s in noisy])
                cells.append(on_k)
                for b in budgets:
                    kept = statistics.fmean(s["budgets"][b]["kept_fraction"] for s in noisy)
                    cells.append(f"{_fmt([s['budgets'][b]['acc'] for s in noisy])} ({kept:.3f})")
                cpu_noisy = statistics.fmean(s["cpu_s_per_sample"] for s in noisy)
                cells.append(f"{cpu_ideal:.2f}, {cpu_noisy:.1f}")
            elif noisy:
                cpu_noisy = statistics.fmean(s["cpu_s_per_sample"] for s in noisy)
                total = cpu_noisy * rs[0]["test_samples"] * len(rs) / 3600
                probe = sum(s["samples"] for s in noisy)
                reason = (
                    f"not run: {cpu_noisy:.0f} CPU s per sample (measured on {probe} "
                    f"sample{'s' if probe > 1 else ''}), {total:.1f} CPU h for the test set"
                )
                cells += [reason, "–"] + ["–"] * len(budgets)
                cells.append(f"{cpu_ideal:.2f}, {cpu_noisy:.1f}")
            else:
                cells += ["not run", "–"] + ["–"] * len(budgets) + [f"{cpu_ideal:.2f}, –"]
            lines.append("| " + " | ".join(cells) + " |")
        lines += _sharpened_shots(runs, tasks, budgets)
        if softmax:
            lines += ["", _shot_verdict(runs, tasks, budgets, softmax)]
    return "\n".join(lines).rstrip()
