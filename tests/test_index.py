"""Unit tests for csp.report.index: reports/index.html is how a board member finds a report in a zipped and
emailed reports folder, so every finished report must be listed once, newest first, with links that
work offline, and nothing half-built may be offered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from csp import cli
from csp.report import index

STATUSES = ("on_track", "amber", "off_track", "no_data")


def write_report(
    root: Path,
    plan: str,
    year: str,
    quarter: int,
    statuses: dict[int, list[str]],
    *,
    partnership: str | None = None,
    folder_name: str | None = None,
) -> Path:
    """A finished report folder as `csp run` leaves it: dashboard, statuses.csv and run.json.

    statuses maps each quarter judged so far to the statuses of its measures (a Q2 report also
    carries the Q1 rows, as statuses.csv does).
    """
    folder = root / plan / year / (folder_name or f"Q{quarter}")
    folder.mkdir(parents=True)
    (folder / "dashboard.html").write_text("<!DOCTYPE html><title>dashboard</title>", "utf-8")
    rows = [
        {"measure_id": f"{n}.1", "quarter": f"Q{q}", "status": s}
        for q, judged in statuses.items()
        for n, s in enumerate(judged, start=1)
    ]
    pd.DataFrame(rows, columns=["measure_id", "quarter", "status"]).to_csv(
        folder / "statuses.csv", index=False
    )
    record: dict[str, object] = {
        "plan": plan,
        "year": year,
        "quarter": quarter,
        "produced": "2011-10-03 09:00",
        "csp_version": "0.1.0",
        "commit": "0123456789ab",
    }
    if partnership is not None:
        record["partnership"] = partnership
    index.write_run_record(folder, record)
    return folder


@dataclass
class Row:
    link: str
    text: str
    numbers: list[int] = field(default_factory=list)


class IndexPage(HTMLParser):
    """What a reader of index.html sees: plan headings in order, and the report rows under each."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.rows: list[Row] = []
        self.links: list[str] = []
        self._tag_text: list[str] | None = None
        self._in_num = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h2":
            self._tag_text = []
        elif tag == "a":
            href = attributes.get("href") or ""
            self.links.append(href)
            self.rows.append(Row(link=href, text=""))
            self._tag_text = []
        elif tag == "td" and "num" in (attributes.get("class") or "").split():
            self._in_num = True
            self._tag_text = []

    def handle_endtag(self, tag: str) -> None:
        if self._tag_text is None:
            return
        text = " ".join("".join(self._tag_text).split())
        if tag == "h2":
            self.headings.append(text)
        elif tag == "a":
            self.rows[-1].text = text
        elif tag == "td" and self._in_num:
            self.rows[-1].numbers.append(int(text))
            self._in_num = False
        else:
            return
        self._tag_text = None

    def handle_data(self, data: str) -> None:
        if self._tag_text is not None:
            self._tag_text.append(data)


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """Two plans, several years and quarters, written in no particular order."""
    root = tmp_path / "reports"
    write_report(
        root,
        "stockton",
        "2011-12",
        1,
        {1: ["on_track", "off_track", "no_data"]},
        partnership="Safer Stockton Partnership",
    )
    write_report(
        root,
        "stockton",
        "2011-12",
        2,
        {1: ["on_track", "off_track", "no_data"], 2: ["on_track", "on_track", "off_track"]},
        partnership="Safer Stockton Partnership",
    )
    write_report(
        root,
        "stockton",
        "2010-11",
        4,
        {q: ["no_data", "no_data", "amber"] for q in (1, 2, 3, 4)},
        partnership="Safer Stockton Partnership",
    )
    write_report(
        root,
        "city-of-london",
        "2021-22",
        2,
        {1: ["off_track"], 2: ["on_track", "amber"]},
        partnership="Safer City Partnership",
    )
    write_report(
        root,
        "city-of-london",
        "2020-21",
        3,
        {3: ["off_track", "off_track"]},
        partnership="Safer City Partnership",
    )
    return root


@pytest.fixture
def page(reports: Path) -> IndexPage:
    return IndexPage(index.build_index(reports).read_text(encoding="utf-8"))


EXPECTED_ORDER = [
    "city-of-london/2021-22/Q2/dashboard.html",
    "city-of-london/2020-21/Q3/dashboard.html",
    "stockton/2011-12/Q2/dashboard.html",
    "stockton/2011-12/Q1/dashboard.html",
    "stockton/2010-11/Q4/dashboard.html",
]


def test_index_is_written_in_the_reports_folder(reports: Path) -> None:
    assert index.build_index(reports) == reports / "index.html"
    assert (reports / "index.html").is_file()
    assert not list(reports.glob(".index.html*")), "no temporary file is left behind"


def test_every_report_is_listed_once(page: IndexPage) -> None:
    assert sorted(page.links) == sorted(EXPECTED_ORDER)


def test_plans_in_order_and_newest_year_and_quarter_first(page: IndexPage) -> None:
    assert page.headings == ["Safer City Partnership", "Safer Stockton Partnership"]
    assert page.links == EXPECTED_ORDER


def test_each_row_says_which_year_and_quarter(page: IndexPage) -> None:
    texts = {row.link: row.text for row in page.rows}
    assert "2011/12" in texts["stockton/2011-12/Q2/dashboard.html"]
    assert "Q2" in texts["stockton/2011-12/Q2/dashboard.html"]
    assert "Q4" in texts["stockton/2010-11/Q4/dashboard.html"]


def test_status_counts_are_for_the_reports_own_quarter(page: IndexPage) -> None:
    """A Q2 report's statuses.csv carries Q1 too; the board wants where things stand now."""
    counts = {row.link: row.numbers for row in page.rows}
    # on track, near target, off track, no data
    assert counts["stockton/2011-12/Q2/dashboard.html"] == [2, 0, 1, 0]
    assert counts["stockton/2011-12/Q1/dashboard.html"] == [1, 0, 1, 1]
    assert counts["stockton/2010-11/Q4/dashboard.html"] == [0, 1, 0, 2]
    assert counts["city-of-london/2021-22/Q2/dashboard.html"] == [1, 1, 0, 0]
    assert counts["city-of-london/2020-21/Q3/dashboard.html"] == [0, 0, 2, 0]


def test_links_are_relative_and_resolve_to_dashboards(reports: Path, page: IndexPage) -> None:
    """The reports folder is zipped and emailed: links must work from wherever it is unzipped."""
    assert page.links
    for link in page.links:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, link
        assert not link.startswith("/"), link
        assert "\\" not in link, link
        assert (reports / link).is_file(), link


@pytest.mark.parametrize(
    "folder_name",
    ["Q2.failed", ".Q2.staging-1a2b3c4d", "Q2-old", "Q5"],
)
def test_failed_and_staging_folders_are_not_reports(tmp_path: Path, folder_name: str) -> None:
    """A failed run keeps its notebooks for the analyst, but it is not a report for the board."""
    root = tmp_path / "reports"
    write_report(root, "stockton", "2011-12", 1, {1: ["on_track"]})
    write_report(root, "stockton", "2011-12", 2, {2: ["off_track"]}, folder_name=folder_name)
    page = IndexPage(index.build_index(root).read_text(encoding="utf-8"))
    assert page.links == ["stockton/2011-12/Q1/dashboard.html"]


def test_a_folder_without_a_dashboard_is_not_a_report(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    write_report(root, "stockton", "2011-12", 1, {1: ["on_track"]})
    unfinished = write_report(root, "stockton", "2011-12", 2, {2: ["off_track"]})
    (unfinished / "dashboard.html").unlink()
    page = IndexPage(index.build_index(root).read_text(encoding="utf-8"))
    assert page.links == ["stockton/2011-12/Q1/dashboard.html"]


def test_an_empty_reports_folder_says_there_are_no_reports(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    html = index.build_index(root).read_text(encoding="utf-8")
    assert IndexPage(html).links == []
    assert "No reports yet" in html
    assert "0 reports" in html


def test_a_plan_without_a_partnership_name_is_headed_by_its_plan_name(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    write_report(root, "stockton", "2011-12", 1, {1: ["on_track"]})
    page = IndexPage(index.build_index(root).read_text(encoding="utf-8"))
    assert page.headings == ["stockton"]


def test_partnership_names_are_escaped(tmp_path: Path) -> None:
    """A name from run.json is text, never markup, even in attributes."""
    root = tmp_path / "reports"
    name = 'Safer <b>Bold</b> & "Quoted" Partnership'
    write_report(root, "bold", "2011-12", 1, {1: ["on_track"]}, partnership=name)
    html = index.build_index(root).read_text(encoding="utf-8")
    assert "<b>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html
    assert IndexPage(html).headings == [name]


def test_the_index_is_self_contained(page: IndexPage, reports: Path) -> None:
    """Opened from an email attachment, offline: no scripts, no fetched styles or fonts."""
    html = (reports / "index.html").read_text(encoding="utf-8")
    assert "http://" not in html
    assert "https://" not in html
    assert "<script" not in html.lower()
    assert "<style>" in html


def test_rebuilding_picks_up_a_new_report(reports: Path) -> None:
    """The index is written afresh from disk each time, never appended to."""
    index.build_index(reports)
    write_report(reports, "stockton", "2011-12", 3, {3: ["on_track"]})
    page = IndexPage(index.build_index(reports).read_text(encoding="utf-8"))
    assert page.links.count("stockton/2011-12/Q3/dashboard.html") == 1
    assert len(page.links) == len(EXPECTED_ORDER) + 1


def test_run_record_is_json_the_index_reads_back(tmp_path: Path) -> None:
    record = {"plan": "stockton", "year": "2011-12", "quarter": 2, "seconds": 12.5}
    path = index.write_run_record(tmp_path, record)
    assert path == tmp_path / "run.json"
    assert json.loads(path.read_text(encoding="utf-8")) == record


def test_cli_index_writes_the_index(reports: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (reports / "index.html").unlink(missing_ok=True)
    assert cli.main(["index", "--reports-dir", str(reports)]) == 0
    written = reports / "index.html"
    assert written.is_file()
    assert str(written) in capsys.readouterr().out
    assert IndexPage(written.read_text(encoding="utf-8")).links == EXPECTED_ORDER


def test_a_calendar_year_report_is_listed_by_its_year_and_quarter_months(tmp_path: Path) -> None:
    """A plan of calendar years writes 2025 where a financial one writes 2011-12: the folder's form
    says which, so each row names the quarter's months."""
    root = tmp_path / "reports"
    write_report(root, "cleveland", "2025", 1, {1: ["on_track"]})
    write_report(root, "stockton", "2011-12", 2, {2: ["on_track"]})
    page = IndexPage(index.build_index(root).read_text(encoding="utf-8"))
    texts = {row.link: row.text for row in page.rows}
    assert (
        texts["cleveland/2025/Q1/dashboard.html"] == "2025 as at end of Q1 (January to March 2025)"
    )
    assert texts["stockton/2011-12/Q2/dashboard.html"] == (
        "2011/12 as at end of Q2 (July to September 2011)"
    )
