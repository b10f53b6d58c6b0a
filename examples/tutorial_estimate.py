"""Tutorial (d): a resource-estimate report for QLACI, with its pictures.

    .venv/bin/python examples/tutorial_estimate.py             # N = 16..65536, 3 QRAM kinds
    .venv/bin/python examples/tutorial_estimate.py --small     # N = 16..1024, 1 kind (CI)

Writes ``estimate.json``, ``estimate.md`` and the self-contained ``estimate.html`` (inline SVG
plots) to ``--out`` (default ``out/tutorial-estimate``): the same files as
``qcompile estimate qlaci --seq-len 16..65536 --qram ... --profile heron_r2,ft_logical``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qcompile.estimate import estimate, to_html, to_markdown


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="N = 16..1024, one QRAM kind")
    parser.add_argument("--out", default="out/tutorial-estimate", help="output directory")
    args = parser.parse_args(argv)

    largest = 1024 if args.small else 65536
    seq_lens = [2**k for k in range(4, largest.bit_length())]  # 16, 32, ..., largest
    kinds = ["multiplexer"] if args.small else ["multiplexer", "bb-lean", "qrom"]

    # Every (N, QRAM kind, profile) row: compiled where the circuit fits the device and the
    # time budget (the smallest N of each kind and profile always), closed forms beyond.
    report = estimate(
        "qlaci",
        seq_lens,
        kinds,
        ["heron_r2", "ft_logical"],
        time_budget=2.0 if args.small else 60.0,
        qdk_seq_lens=[],  # Microsoft's estimator beside ours needs the `estimate` extra
    )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "estimate.json").write_text(json.dumps(report.to_dict(), indent=1))
    (out / "estimate.md").write_text(to_markdown(report))
    (out / "estimate.html").write_text(to_html(report))

    compiled = [r for r in report.rows if r.source == "compiled"]
    print(f"{len(report.rows)} rows, {len(compiled)} compiled, in {report.elapsed_s:.1f} s")
    for row in compiled:
        print(
            f"  N={row.seq_len:<5} {row.qram:<15} {row.profile:<11} "
            f"2q gates {row.two_qubit_gates:>6}  success {row.success_probability:.3g}"
        )
    print(f"wrote {out / 'estimate.html'} (open it in a browser), .md and .json beside it")


if __name__ == "__main__":
    main()
