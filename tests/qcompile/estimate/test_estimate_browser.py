"""The estimate's HTML page in a real headless browser (Debian's chromium via Playwright).

Outside CI the test skips when Playwright or chromium is missing; in CI (``CI`` set) it
fails instead, so a green CI run always means the page was rendered. The screenshot is
saved under ``out/test-artifacts/``.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from qcompile.estimate import EstimateReport, to_html

ARTIFACTS = Path(__file__).resolve().parents[3] / "out" / "test-artifacts"


def _chromium_or_skip() -> tuple[Any, str]:
    reasons = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright, reasons = None, ["playwright is not installed (dev extra)"]  # type: ignore[assignment]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        reasons.append("chromium is not installed (apt-get install chromium)")
    if reasons:
        if os.environ.get("CI"):
            pytest.fail("browser test cannot run in CI: " + "; ".join(reasons))
        pytest.skip("; ".join(reasons))
    assert chromium is not None
    return sync_playwright, chromium


_PLOT_FACTS = """() => [...document.querySelectorAll('figure > svg')].map(svg => {
    const box = svg.getBoundingClientRect();
    const frame = svg.querySelector(`g[id="${svg.id}-frame"] path`).getBBox();
    const curves = [...svg.querySelectorAll(`g[id^="${svg.id}-curve-"] path`)].map(line => {
        const b = line.getBBox();
        const d = line.getAttribute('d');
        const pts = [...d.matchAll(/[ML]\\s*(-?[\\d.]+)\\s+(-?[\\d.]+)/g)].map(
            m => ({x: Number(m[1]), y: Number(m[2])}));
        const inside = pts.every(p => p.x >= frame.x - 0.5 && p.x <= frame.x + frame.width + 0.5
            && p.y >= frame.y - 0.5 && p.y <= frame.y + frame.height + 0.5);
        const dashed = getComputedStyle(line).strokeDasharray !== 'none';
        return {id: line.parentElement.id, points: pts.length, width: b.width, inside, dashed};
    });
    return {id: svg.id, width: box.width, height: box.height, curves,
            bands: svg.querySelectorAll(`g[id^="${svg.id}-band-"]`).length,
            compiled: svg.querySelectorAll(`g[id^="${svg.id}-filled-"] use`).length,
            analytic: svg.querySelectorAll(`g[id^="${svg.id}-hollow-"] use`).length};
})"""

_INK = """async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width; canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let ink = 0; const colors = new Set();
    for (let i = 0; i < data.length; i += 4) {
        if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) ink++;
        colors.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return {width: img.width, height: img.height, ink, colors: colors.size};
}"""


@pytest.mark.slow
def test_estimate_page_renders_in_headless_chromium(
    qlaci_report: EstimateReport, tmp_path: Path
) -> None:
    sync_playwright, chromium = _chromium_or_skip()
    page_path = tmp_path / "estimate.html"
    page_path.write_text(to_html(qlaci_report))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "estimate.png"
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on(
                "console",
                lambda m: (
                    problems.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on(
                "request", lambda r: None if r.url.startswith("file:") else requests.append(r.url)
            )
            page.goto(page_path.as_uri(), wait_until="load")
            plots = page.evaluate(_PLOT_FACTS)
            qdk_rows = page.locator("table.qdk tr").count()
            png = page.screenshot(path=str(shot), full_page=True)
            ink = page.evaluate(_INK, "data:image/png;base64," + base64.b64encode(png).decode())
        finally:
            browser.close()
    print(f"screenshot: {shot}")
    assert problems == [] and requests == []  # self-contained: nothing fetched, no errors
    # heron_r2: qubits, 2q gates, depth, success, duration; ft_logical: logical qubits, 2q
    # gates, physical qubits, runtime; classical FLOPs on their own figure
    assert len(plots) == 5 + 4 + 1, [p["id"] for p in plots]
    for plot in plots:
        assert plot["width"] > 600 and plot["height"] > 250, plot  # wide enough to read
        assert plot["curves"], plot
        for curve in plot["curves"]:
            assert curve["inside"], curve
    heron = [p for p in plots if p["id"].startswith("plot-0-")]
    assert len(heron) == 5
    # compiled (filled) and extrapolated or closed-form (hollow) points on every device plot,
    # and the routing model's prediction bands
    assert all(p["compiled"] > 0 and p["analytic"] > 0 and p["bands"] > 0 for p in heron), heron
    (flops,) = [p for p in plots if p["id"] == "plot-classical-flops"]
    assert len(flops["curves"]) == 1 and flops["curves"][0]["points"] == 3
    if importlib.util.find_spec("qdk") is not None:  # CI has it: test_qdk_compare enforces it
        assert qdk_rows > 1  # a header and at least one estimated circuit
    assert ink["width"] >= 1100 and ink["ink"] > 20_000 and ink["colors"] > 20, ink
