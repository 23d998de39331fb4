"""The dashboard's HTML sections and its export, from small hand-made frames (no pipeline run).

What matters to the people who open the emailed file: text from partners and the analyst is shown
and never run, every status can be read without seeing the symbol, and the summary says what changed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from plan_lookup import measure_of

from csp.domain.periods import FinancialYear
from csp.domain.quality import FACT_COLUMNS
from csp.domain.statuses import NO_DATA, ON_TRACK
from csp.engine.metrics import VALUE_COLUMNS
from csp.engine.results import QuarterResult
from csp.engine.tables import results_table
from csp.inputs import extracts
from csp.kinds import Comparison
from csp.plan import Theme
from csp.plan.quarter import QuarterRun
from csp.report import dashboard as report
from csp.report import export

SCRIPT_COMMENT = "<script>alert(1)</script>"
TAGGED_STREET = "Tithe <b>Barn</b>"
# The board's reading of the symbols (BRIEF): what a screen reader must say for each.
SPOKEN = {"☺": "On track", "☹": "Off track", "-": "No data"}

DashboardFactory = Callable[..., report.Dashboard]


def status_rows(
    run: QuarterRun, changes: dict[tuple[str, int], str], comments: dict[tuple[str, int], str]
) -> pd.DataFrame:
    """statuses.csv for Q1 to the run's quarter, written by the real writer from hand-made results:
    on track unless `changes` says otherwise."""
    results = []
    for measure in run.plan.measures:
        for quarter in range(1, run.quarter + 1):
            status = changes.get((measure.id, quarter), ON_TRACK)
            if status == NO_DATA:
                results.append(
                    QuarterResult(
                        measure=measure,
                        quarter=quarter,
                        status=status,
                        reason="extract missing (marac <Q2>)",
                    )
                )
                continue
            results.append(
                QuarterResult(
                    measure=measure,
                    quarter=quarter,
                    status=status,
                    months=tuple(str(m) for m in run.year.ytd_months(quarter)),
                    ytd=Comparison(actual=1234.0, baseline=1368.0),
                    target=1300.0,
                    projection=2468.0,
                )
            )
    statuses = results_table(results, run.plan, run.year)
    statuses["comment"] = [comments.get((r.measure.id, r.quarter), "") for r in results]
    return statuses


@pytest.fixture
def make_dashboard(tmp_path: Path) -> DashboardFactory:
    """A Dashboard for stockton 2011-12 at the given quarter, from hand-made frames."""

    def make(
        quarter: int = 2,
        changes: dict[tuple[str, int], str] | None = None,
        comments: dict[tuple[str, int], str] | None = None,
        breakdowns: pd.DataFrame | None = None,
        inventory: pd.DataFrame | None = None,
        cleaning_log: pd.DataFrame | None = None,
    ) -> report.Dashboard:
        run = QuarterRun.from_parameters(
            "stockton",
            "2011-12",
            quarter,
            processed_dir=tmp_path / "processed",
        )
        return report.Dashboard(
            run=run,
            statuses=status_rows(run, changes or {}, comments or {}),
            values=pd.DataFrame(columns=VALUE_COLUMNS),
            breakdowns=breakdowns
            if breakdowns is not None
            else pd.DataFrame(
                columns=["measure_id", "quarter", "item", "actual", "baseline", "change"]
            ),
            inventory=inventory
            if inventory is not None
            else pd.DataFrame(columns=extracts.INVENTORY_COLUMNS),
            cleaning_log=cleaning_log
            if cleaning_log is not None
            else pd.DataFrame(columns=FACT_COLUMNS),
            produced=dt.datetime(2011, 10, 5, 9, 30),
            control_charts=pd.DataFrame(columns=["measure_id", "month", "point_type"]),
        )

    return make


def theme_of(dashboard: report.Dashboard, name: str) -> Theme:
    return next(theme for theme in dashboard.plan.themes if theme.name == name)


class StatusCells(HTMLParser):
    """Each measure row's status cells: class, the symbol shown, and the text a screen reader says."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[dict[str, str]]] = {}
        self._row: list[dict[str, str]] = []
        self._cell: dict[str, str] | None = None
        self._spans: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = {
                "class": attributes.get("class") or "",
                "text": "",
                "shown": "",
                "said": "",
            }
            self._row.append(self._cell)
        elif tag == "span":
            if attributes.get("aria-hidden") == "true" and not self._cell_has_symbol():
                self._spans.append("shown")
            elif "visually-hidden" in (attributes.get("class") or "").split():
                self._spans.append("said")
            else:
                self._spans.append("")

    def _cell_has_symbol(self) -> bool:
        """The first aria-hidden span is the status symbol; later ones are marks beside it."""
        return self._cell is not None and self._cell["shown"] != ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._spans:
            self._spans.pop()
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "tr":
            ids = [c["text"].strip() for c in self._row if c["text"].strip()[:1].isdigit()]
            statuses = [c for c in self._row if "status" in c["class"].split()]
            if ids and statuses:
                self.rows[ids[0]] = statuses

    def handle_data(self, data: str) -> None:
        if self._cell is None:
            return
        self._cell["text"] += data
        if self._spans and self._spans[-1]:
            self._cell[self._spans[-1]] += data


def status_cells(html: str) -> dict[str, list[dict[str, str]]]:
    parser = StatusCells()
    parser.feed(html)
    return parser.rows


# --- small functions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "label"), [(2011, "2011/12"), (1999, "1999/00")])
def test_year_label_is_written_as_the_field_writes_it(start: int, label: str) -> None:
    assert FinancialYear(start).label == label


def test_format_figure_counts_have_separators_and_no_decimals(
    make_dashboard: DashboardFactory,
) -> None:
    plan = make_dashboard().plan
    count = measure_of(plan, "5.1")
    assert report.format_figure(1234.0, count) == "1,234"
    assert report.format_figure(41, count) == "41"
    assert report.format_figure(12.5, count) == "12.5"


def test_format_figure_proportions_are_percentages(make_dashboard: DashboardFactory) -> None:
    proportion = measure_of(make_dashboard().plan, "4.3")
    assert report.format_figure(100 * 60 / 116, proportion) == "51.7%"


def test_format_figure_missing_is_a_dash_not_nan(make_dashboard: DashboardFactory) -> None:
    plan = make_dashboard().plan
    for measure_id in ("5.1", "4.3", "1.2"):
        measure = measure_of(plan, measure_id)
        assert report.format_figure(math.nan, measure) == "–"
        assert report.format_figure(None, measure) == "–"


# --- header -------------------------------------------------------------------------------------


def test_header_counts_the_current_quarter(make_dashboard: DashboardFactory) -> None:
    dashboard = make_dashboard(
        changes={
            ("3.1", 2): "off_track",
            ("4.1", 2): "no_data",
            ("1.2", 1): "no_data",
            ("1.2", 2): "no_data",
            ("2.2", 1): "no_data",
            ("2.2", 2): "no_data",
            ("5.1", 1): "off_track",  # Q1 only: must not be counted at Q2
        }
    )
    html = dashboard.header()
    assert "Of 19 measures in Q2: 15 on track, 1 off track, 3 with no data." in html
    assert "As at end of Q2 (September 2011)" in html
    assert "2011/12" in html
    assert "Produced 5 October 2011" in html
    assert "same months of 2010/11" in html


def test_header_lists_what_changed_since_the_previous_quarter(
    make_dashboard: DashboardFactory,
) -> None:
    dashboard = make_dashboard(
        changes={("3.1", 2): "off_track", ("4.1", 2): "no_data", ("5.1", 1): "off_track"}
    )
    html = dashboard.header()
    assert "Changed since Q1:" in html
    assert "3.1 Maintain a reduction in Most Serious Violent Crime: on track → off track" in html
    assert (
        "4.1 Increase the number of female drug users accessing support.: on track → no data"
        in html
    )
    assert "5.1 Reduce Criminal Damage: off track → on track" in html
    assert html.index("3.1 ") < html.index("4.1 ") < html.index("5.1 ")  # plan order
    assert "1.1 " not in html


def test_header_says_when_nothing_changed(make_dashboard: DashboardFactory) -> None:
    html = make_dashboard().header()
    assert "No status has changed since Q1." in html
    assert "Changed since" not in html


def test_header_at_q1_has_no_previous_quarter(make_dashboard: DashboardFactory) -> None:
    html = make_dashboard(quarter=1).header()
    assert "Of 19 measures in Q1: 19 on track, 0 off track, 0 with no data." in html
    assert "since Q" not in html


# --- status table -------------------------------------------------------------------------------


def test_every_measure_has_four_quarter_cells(make_dashboard: DashboardFactory) -> None:
    dashboard = make_dashboard()
    cells = status_cells(dashboard.status_table())
    assert list(cells) == [m.id for m in dashboard.plan.measures]
    assert all(len(row) == 4 for row in cells.values())


def test_each_due_status_has_its_symbol_and_a_hidden_text_alternative(
    make_dashboard: DashboardFactory,
) -> None:
    """Colour and symbol alone fail WCAG 1.4.1: each cell also says its status in words."""
    dashboard = make_dashboard(changes={("3.1", 2): "off_track", ("1.2", 1): "no_data"})
    cells = status_cells(dashboard.status_table())
    for row in cells.values():
        for cell in row[:2]:
            assert cell["shown"] in SPOKEN
            assert cell["said"].startswith(SPOKEN[cell["shown"]])
    assert [c["shown"] for c in cells["3.1"][:2]] == ["☺", "☹"]
    assert cells["3.1"][1]["said"].startswith("Off track")
    assert cells["1.2"][0]["shown"] == "-"
    assert cells["1.2"][0]["said"].startswith("No data")


def test_quarters_not_yet_due_are_blank_and_say_so(make_dashboard: DashboardFactory) -> None:
    cells = status_cells(make_dashboard(quarter=2).status_table())
    for row in cells.values():
        for cell in row[2:]:
            assert cell["shown"] == ""
            assert cell["said"] == "Not yet due"
            assert cell["text"].strip() == "Not yet due"


def test_status_table_shows_the_current_quarters_comment(make_dashboard: DashboardFactory) -> None:
    dashboard = make_dashboard(
        comments={("6.1", 1): "Q1 projection was 150.", ("6.1", 2): "Projection for year is 144."}
    )
    html = dashboard.status_table()
    assert "Projection for year is 144." in html
    assert "Q1 projection was 150." not in html


def test_analyst_comment_is_escaped_never_a_tag(make_dashboard: DashboardFactory) -> None:
    html = make_dashboard(comments={("5.2", 2): SCRIPT_COMMENT}).status_table()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html


def test_a_long_note_is_shortened_in_the_dashboard(make_dashboard: DashboardFactory) -> None:
    """A 550 KB note pasted into commentary.csv once made the dashboard 1.18 MB: too big to email."""
    note = "Partner narrative, pasted whole. " * 17_000
    html = make_dashboard(comments={("5.2", 2): note}).status_table()
    assert len(html.encode("utf-8")) < 50_000
    assert note[:400] in html
    assert "… (shortened; the full text is in statuses.csv)" in html


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("short note", "short note"),
        ("x" * 10, "x" * 10),
        ("one two three four", "one two … (shortened; the full text is in statuses.csv)"),
        ("abcdefghijkl", "abcdefghij … (shortened; the full text is in statuses.csv)"),
    ],
)
def test_shortened_cuts_at_a_word_and_says_so(text: str, shown: str) -> None:
    assert report.shortened(text, limit=10) == shown


def test_a_long_availability_note_is_shortened_in_data_quality(
    make_dashboard: DashboardFactory,
) -> None:
    note = "Not yet published by the provider. " * 100
    inventory = pd.DataFrame(
        [
            {
                **dict.fromkeys(extracts.INVENTORY_COLUMNS, ""),
                "source": "ndtms_clients",
                "year": "2011-12",
                "quarter": "Q2",
                "status": "unpublished",
                "note": note,
                "rows_read": "0",
                "rows_kept": "0",
            }
        ]
    )
    html = make_dashboard(inventory=inventory).data_quality()
    assert note not in html and note[:500] in html
    assert "… (shortened)" in html


# --- theme section ------------------------------------------------------------------------------


def test_breakdown_item_from_an_extract_is_escaped(make_dashboard: DashboardFactory) -> None:
    breakdowns = pd.DataFrame(
        [
            {
                "measure_id": "5.2",
                "quarter": "Q2",
                "item": TAGGED_STREET,
                "actual": 14.0,
                "baseline": 8.0,
                "change": 6.0,
            }
        ]
    )
    dashboard = make_dashboard(breakdowns=breakdowns)
    html = dashboard.theme_section(theme_of(dashboard, "Criminal Damage"))
    assert "Tithe &lt;b&gt;Barn&lt;/b&gt;" in html
    assert "<b>" not in html
    assert "+6" in html


def test_theme_section_has_an_embedded_chart_and_the_ytd_figures(
    make_dashboard: DashboardFactory,
) -> None:
    dashboard = make_dashboard(changes={("5.3", 2): "no_data"})
    html = dashboard.theme_section(theme_of(dashboard, "Criminal Damage"))
    assert 'src="data:image/png;base64,' in html
    (alt,) = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert "Criminal Damage" in alt
    assert "1,234" in html and "1,368" in html
    assert "Apr 2011 to Sep 2011" in html
    assert "extract missing (marac &lt;Q2&gt;)" in html  # the no-data reason, escaped


# --- data quality -------------------------------------------------------------------------------


def test_data_quality_escapes_availability_notes_and_cleaning_details(
    make_dashboard: DashboardFactory,
) -> None:
    inventory = pd.DataFrame(
        [
            {
                "source": "ndtms_clients",
                "title": "NDTMS clients in treatment",
                "year": "2011-12",
                "quarter": "Q2",
                "file": "",
                "status": "unpublished",
                "note": "<img src=x onerror=alert(1)> not on ndtms.net",
                "first_month": "",
                "last_month": "",
                "rows_read": "",
                "rows_kept": "",
                "sha256": "",
            },
            {
                "source": "police_crime",
                "title": "Police recorded crime",
                "year": "2011-12",
                "quarter": "Q2",
                "file": "police_crime.csv",
                "status": "read",
                "note": "",
                "first_month": "2011-07",
                "last_month": "2011-09",
                "rows_read": "1200",
                "rows_kept": "1180",
                "sha256": "",
            },
        ],
        columns=extracts.INVENTORY_COLUMNS,
    )
    log = pd.DataFrame(
        [
            {
                "source": "police_crime",
                "file": "police_crime.csv",
                "month": "",
                "code": "ward_spelling_matched",
                "change": "ward spellings matched to the plan's wards",
                "rows": 3,
                "detail": "Hardwick <i>ward</i> -> Hardwick",
                "shown": "Hardwick <i>ward</i> -> Hardwick",  # a column the plan shows
            }
        ],
        columns=FACT_COLUMNS,
    )
    html = make_dashboard(inventory=inventory, cleaning_log=log).data_quality()
    assert "&lt;img src=x onerror=alert(1)&gt; not on ndtms.net" in html
    assert "<img" not in html
    assert "Hardwick &lt;i&gt;ward&lt;/i&gt;" in html
    assert "<i>" not in html
    assert "1,200" in html


def _ward_facts(*facts: tuple[str, str, str]) -> pd.DataFrame:
    """cleaning_log rows of unrecognised wards: (file, detail, shown)."""
    return pd.DataFrame(
        [
            {
                "source": "police_asb",
                "file": file,
                "month": "",
                "code": "ward_not_recognised",
                "change": "(wording changes freely)",
                "rows": 2,
                "detail": detail,
                "shown": shown,
            }
            for file, detail, shown in facts
        ],
        columns=FACT_COLUMNS,
    )


def test_data_quality_counts_masked_values_over_files_and_never_prints_them(
    make_dashboard: DashboardFactory,
) -> None:
    name = "John Smith, 12 High Street"
    log = _ward_facts(
        ("q1.csv", f"{name}; Not Known", "'J… (26 chars)'; 'N… (9 chars)'"),
        ("q2.csv", "Not Known", "'N… (9 chars)'"),  # the same value again: not counted twice
    )
    html = make_dashboard(cleaning_log=log).data_quality()
    assert "wards not recognised" in html
    assert "2 values, e.g. &#39;J… (26 chars)&#39;" in html
    assert "John" not in html and "Not Known" not in html
    log = _ward_facts(("q1.csv", name, ""))  # a log from before `shown`: nothing of it shown
    html = make_dashboard(cleaning_log=log).data_quality()
    assert ": 1 value</li>" in html and "John" not in html


# --- export_html --------------------------------------------------------------------------------


def executed_notebook(folder: Path, *extra_outputs: nbformat.NotebookNode) -> Path:
    """An executed dashboard notebook in miniature: injected parameters, then one output cell."""
    parameters = new_code_cell(
        "plan = 'stockton'\nquarter = 2",
        metadata={"tags": ["injected-parameters"]},
        execution_count=1,
        outputs=[
            new_output(
                "execute_result",
                data={"text/html": "<p>PARAMETERS-OUTPUT</p>", "text/plain": "parameters"},
                execution_count=1,
            )
        ],
    )
    dashboard = new_code_cell(
        "display(HTML(dashboard.status_table()))",
        execution_count=2,
        outputs=[
            new_output(
                "display_data",
                data={"text/html": "<p class='measures'>DASHBOARD-SECTION</p>"},
            ),
            new_output("stream", name="stderr", text="FutureWarning: LIBRARY-WARNING\n"),
            *extra_outputs,
        ],
    )
    notebook = new_notebook(cells=[parameters, dashboard])
    path = folder / "03_dashboard.ipynb"
    nbformat.write(notebook, path)
    return path


def test_export_html_keeps_the_dashboard_output_only(tmp_path: Path) -> None:
    source = executed_notebook(tmp_path)
    target = export.export_html(source, tmp_path / "dashboard.html", "Stockton <Q2>")
    html = target.read_text(encoding="utf-8")
    assert target == tmp_path / "dashboard.html"
    assert "DASHBOARD-SECTION" in html
    assert "LIBRARY-WARNING" not in html  # stream output is for the analyst
    assert "PARAMETERS-OUTPUT" not in html  # the injected-parameters cell is dropped
    assert "plan = 'stockton'" not in html  # no code
    assert "display(HTML" not in html
    assert "<title>Stockton &lt;Q2&gt;</title>" in html


def test_export_html_is_self_contained(tmp_path: Path) -> None:
    """Opened from an email on a council laptop: no scripts, nothing fetched from the web."""
    html = export.export_html(
        executed_notebook(tmp_path), tmp_path / "dashboard.html", "Dashboard"
    ).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "http://" not in html
    assert "https://" not in html


def test_export_html_drops_javascript_outputs(tmp_path: Path) -> None:
    """A library that displays JavaScript must not put a script into the board's report."""
    javascript = new_output(
        "display_data",
        data={"application/javascript": "alert('JS-OUTPUT')", "text/plain": "js"},
    )
    html = export.export_html(
        executed_notebook(tmp_path, javascript), tmp_path / "dashboard.html", "Dashboard"
    ).read_text(encoding="utf-8")
    assert "DASHBOARD-SECTION" in html
    assert "<script" not in html.lower()
    assert "JS-OUTPUT" not in html


def test_month_by_month_files_show_rows_left_out_by_fact_code(tmp_path: Path) -> None:
    """police.uk's files are monthly (the source says so): each month's rows read, left out and
    used come from the facts' codes, whatever their wording."""
    run = QuarterRun.from_parameters(
        "city-of-london",
        "2021-22",
        1,
        processed_dir=tmp_path / "processed",
    )
    file = "2021-04/2021-04-city-of-london-street.csv"
    inventory = pd.DataFrame(
        [
            {
                "source": "street_crime",
                "title": "Street crime",
                "year": "2021-22",
                "quarter": "Q1",
                "file": file,
                "status": "read",
                "note": "",
                "first_month": "2021-04",
                "last_month": "2021-04",
                "rows_read": 500,
                "rows_kept": 440,
                "sha256": "",
            }
        ],
        columns=extracts.INVENTORY_COLUMNS,
    )
    facts = [
        ("no_location", 40, ""),
        ("outside_area", 20, "Camden (12); Westminster (8)"),
    ]
    log = pd.DataFrame(
        [
            {
                "source": "street_crime",
                "file": file,
                "month": "2021-04",
                "code": code,
                "change": "(wording changes freely)",
                "rows": rows,
                "detail": detail,
            }
            for code, rows, detail in facts
        ],
        columns=FACT_COLUMNS,
    )
    dashboard = report.Dashboard(
        run=run,
        statuses=pd.DataFrame(),
        values=pd.DataFrame(columns=VALUE_COLUMNS),
        breakdowns=pd.DataFrame(),
        inventory=inventory,
        cleaning_log=log,
        control_charts=pd.DataFrame(columns=["measure_id", "month", "point_type"]),
        produced=dt.datetime(2021, 8, 5, 9, 30),
    )
    [month] = dashboard._left_out_by_month(inventory)
    assert month == {
        "month": "Apr 2021",
        "read": "500",
        "no_location": "40",
        "outside": "20",
        "where": "Camden (12); Westminster (8)",
        "used": "440",
    }
    html = dashboard.data_quality()
    assert "rows with no location (in no area measure)" in html  # the wording is the code's
