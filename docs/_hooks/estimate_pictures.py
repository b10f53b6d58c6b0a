"""MkDocs hook: the estimate tutorial's pictures, made by running its script at build time.

``examples/tutorial_estimate.py --small`` runs once per build; its ``estimate.html`` and each
plot of it (one SVG file per ``<figure>``) join the site under ``tutorials/estimate-report/``,
and the marker ``<!-- estimate-pictures -->`` in ``tutorials/estimate.md`` becomes the images.
A script that fails, or a page without plots, fails the build, so the pictures cannot rot.
``QATTN_DOCS_ESTIMATE=DIR`` takes ``DIR/estimate.html`` from an earlier run instead (for
editing the docs; CI leaves it unset).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

SCRIPT = "examples/tutorial_estimate.py"
PAGE = "tutorials/estimate.md"
MARKER = "<!-- estimate-pictures -->"
FOLDER = "tutorials/estimate-report"
FIGURE = re.compile(r"<figure[^>]*>(.*?)</figure>", re.DOTALL)
CAPTION = re.compile(r"<figcaption[^>]*>(.*?)</figcaption>", re.DOTALL)
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)

_pictures: list[tuple[str, str]] = []  # (file name, caption) of this build


def on_files(files: Files, config: Any) -> Files:
    """Runs the tutorial's script and adds its page and plots to the site."""
    earlier = os.environ.get("QATTN_DOCS_ESTIMATE")
    page = (Path(earlier) / "estimate.html").read_text("utf-8") if earlier else _run_script(config)
    _pictures.clear()
    files.append(File.generated(config, f"{FOLDER}/estimate.html", content=page))
    for number, figure in enumerate(FIGURE.findall(page), start=1):
        svg = SVG.search(figure)
        if svg is None:
            continue
        caption = CAPTION.search(figure)
        text = html.unescape(re.sub(r"<[^>]+>", "", caption.group(1))) if caption else ""
        name = f"figure-{number}.svg"
        files.append(File.generated(config, f"{FOLDER}/{name}", content=_standalone(svg[0])))
        _pictures.append((name, " ".join(text.split()) or f"Figure {number}"))
    if not _pictures:
        raise RuntimeError(f"{SCRIPT} wrote an estimate page without plots")
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Puts the plots where the estimate tutorial asks for them."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"{PAGE} lost its {MARKER} marker")
    folder = FOLDER.rsplit("/", 1)[1]
    images = "\n\n".join(
        f'<figure markdown="span">\n![{caption}]({folder}/{name})\n'
        f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>"
        for name, caption in _pictures
    )
    return markdown.replace(MARKER, images)


def _run_script(config: Any) -> str:
    """The estimate page ``SCRIPT --small`` writes."""
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run(
            [sys.executable, SCRIPT, "--small", "--out", out],
            cwd=Path(config["config_file_path"]).parent,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode:
            raise RuntimeError(f"{SCRIPT} --small failed:\n{run.stdout}{run.stderr}")
        return (Path(out) / "estimate.html").read_text(encoding="utf-8")


def _standalone(svg: str) -> str:
    """An inline ``<svg>`` as a file of its own (it needs its namespace there)."""
    if "xmlns=" not in svg.split(">", 1)[0]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + svg
