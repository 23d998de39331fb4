"""The dashboard as a reader sees it: Debian's Chromium, driven by Playwright, with every network
request blocked. Screenshots and a print-to-PDF are saved under reports/test-artefacts/ (not committed).
"""

from __future__ import annotations

import importlib.resources
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import pytest

from csp import config
from csp.store.processed import RunFolder

CHROMIUM = Path(os.environ.get("CSP_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = config.REPORTS_DIR / "test-artefacts"
# A4 landscape at 96 px per inch, less the 8 mm print margins of dashboard.css.
A4_LANDSCAPE_PRINTABLE = {
    "width": round((297 - 16) / 25.4 * 96),
    "height": round((210 - 16) / 25.4 * 96),
}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (make test installs Debian's chromium)"
        if os.environ.get("CSP_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


class Visit:
    """One page opened from disk with the network blocked, recording what it tried and said."""

    def __init__(self, browser: object, path: Path, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.path = path
        self.page.goto(path.as_uri())

    def _route(self, route: object) -> None:
        if route.request.url == self.path.as_uri():
            route.continue_()
        else:
            route.abort()

    @property
    def other_requests(self) -> list[str]:
        return [url for url in self.requests if url != self.path.as_uri()]

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def dashboard(browser: object, stockton_run: SimpleNamespace) -> Iterator[Visit]:
    visit = Visit(
        browser, stockton_run.reports / "Q2" / "dashboard.html", {"width": 1366, "height": 768}
    )
    yield visit
    visit.close()


def test_opens_from_disk_without_any_request_or_console_error(dashboard: Visit) -> None:
    assert dashboard.page.title().startswith("Safer Stockton Partnership")
    assert dashboard.other_requests == []
    assert dashboard.errors == []


def test_table_cells_equal_statuses_csv(dashboard: Visit, stockton_run: SimpleNamespace) -> None:
    rows = dashboard.page.eval_on_selector_all(
        "table.measures tbody tr",
        """rows => rows.map(row => ({
            id: row.querySelector('td').textContent.trim(),
            cells: [...row.querySelectorAll('td.status')].map(c => c.dataset.status || ''),
            comment: row.querySelector('td.comment').textContent.trim(),
        }))""",
    )
    statuses = RunFolder(stockton_run.processed / "Q2").read_statuses()
    assert len(rows) == statuses["measure_id"].nunique() == 19
    for row in rows:
        ours = statuses[statuses["measure_id"] == row["id"]].set_index("quarter")
        expected = [
            ours.loc[q, "status"] if q in ours.index else "" for q in ("Q1", "Q2", "Q3", "Q4")
        ]
        assert row["cells"] == expected, row["id"]
        assert row["comment"] == ours.loc["Q2", "comment"], row["id"]


def serious_violations(visit: Visit) -> list[str]:
    """axe-core's serious and critical findings on the page (also used by tests/test_peers.py)."""
    axe = (
        importlib.resources.files("axe_playwright_python")
        .joinpath("axe.min.js")
        .read_text(encoding="utf-8")
    )
    visit.page.add_script_tag(content=axe)
    result = visit.page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} - {len(v['nodes'])} nodes"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violation(dashboard: Visit) -> None:
    assert serious_violations(dashboard) == []
    assert dashboard.other_requests == []


def test_every_chart_has_a_real_text_alternative(dashboard: Visit) -> None:
    alts = dashboard.page.eval_on_selector_all("img", "images => images.map(i => i.alt)")
    assert len(alts) == 6
    for alt in alts:
        assert alt.startswith("Control charts for") and re.search(r"\d", alt)
        assert "No description has been provided" not in alt


def test_wide_tables_scroll_by_keyboard(dashboard: Visit) -> None:
    regions = dashboard.page.eval_on_selector_all(
        ".table-scroll", "divs => divs.map(d => [d.tabIndex, d.getAttribute('role')])"
    )
    assert regions and all(tab == 0 and role == "region" for tab, role in regions)


def test_screenshot_and_pdf_are_saved(dashboard: Visit) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "stockton-2011-12-Q2-1366x768.png"
    pdf = ARTEFACTS / "stockton-2011-12-Q2.pdf"
    dashboard.page.screenshot(path=str(screenshot))
    dashboard.page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_print_puts_the_whole_table_on_the_first_page(
    browser: object, stockton_run: SimpleNamespace
) -> None:
    visit = Visit(browser, stockton_run.reports / "Q2" / "dashboard.html", A4_LANDSCAPE_PRINTABLE)
    try:
        visit.page.emulate_media(media="print")
        box = visit.page.locator("table.measures").bounding_box()
        assert box["y"] + box["height"] <= A4_LANDSCAPE_PRINTABLE["height"]
        breaks = visit.page.eval_on_selector_all(
            "section.theme", "sections => sections.map(s => getComputedStyle(s).breakBefore)"
        )
        assert breaks and set(breaks) == {"page"}
        inside = visit.page.eval_on_selector_all(
            "section.theme table", "ts => ts.map(t => getComputedStyle(t).breakInside)"
        )
        assert set(inside) == {"avoid"}
    finally:
        visit.close()


def test_index_opens_and_every_link_resolves(
    browser: object, stockton_run: SimpleNamespace
) -> None:
    index = stockton_run.reports_root / "index.html"
    visit = Visit(browser, index, {"width": 1366, "height": 768})
    try:
        links = visit.page.eval_on_selector_all(
            "a[href]", "anchors => anchors.map(a => a.getAttribute('href'))"
        )
        assert len(links) == 2  # Q2 then Q1
        assert links[0].endswith("Q2/dashboard.html") and links[1].endswith("Q1/dashboard.html")
        for link in links:
            assert not urlparse(link).scheme and not link.startswith(
                "/"
            )  # relative: the folder travels
            assert (index.parent / unquote(link)).is_file()
        assert visit.other_requests == [] and visit.errors == []
    finally:
        visit.close()
