"""Charts: theme small multiples drawn from the measure values table, with alt text that states the
figures actually plotted (a screen-reader user gets the same numbers as a sighted reader)."""

from __future__ import annotations

import base64
import io
import math
import struct
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from csp.domain.periods import FinancialYear
from csp.engine.metrics import VALUE_COLUMNS
from csp.plan import Plan, Theme, load_plan
from csp.report import charts, panels

YEAR = FinancialYear.parse("2011-12")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan("stockton")


def theme_named(plan: Plan, name: str) -> Theme:
    return next(theme for theme in plan.themes if theme.name == name)


def value_rows(
    measure_id: str,
    year: str,
    monthly: dict[str, float],
    denominators: dict[str, float] | None = None,
    series: str = "main",
) -> list[dict[str, object]]:
    """Rows of measure_values.csv for one measure and year."""
    return [
        {
            "measure_id": measure_id,
            "series": series,
            "item": "",
            "year": year,
            "month": month,
            "value": value,
            "denominator": (denominators or {}).get(month, math.nan),
            "covered": True,
        }
        for month, value in monthly.items()
    ]


@pytest.fixture
def drugs_values() -> pd.DataFrame:
    """4.2 (a repeat count) with three months this year and four in the baseline year; 4.3 (a
    proportion) with two months, the second with a denominator of zero; a breakdown row that must
    not be plotted."""
    rows = [
        *value_rows("4.2", "2010-11", {"2010-04": 10, "2010-05": 11, "2010-06": 12, "2010-07": 13}),
        *value_rows("4.2", "2011-12", {"2011-04": 5, "2011-05": 6, "2011-06": 7}),
        *value_rows("4.2", "2011-12", {"2011-04": 900}, series="breakdown"),
        *value_rows(
            "4.3",
            "2011-12",
            {"2011-04": 6, "2011-05": 9, "2011-06": 0},
            {"2011-04": 10, "2011-05": 20, "2011-06": 0},
        ),
        *value_rows("4.3", "2010-11", {"2010-04": 1}, {"2010-04": 4}),
    ]
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


STATUS_COLUMNS = [
    "measure_id",
    "quarter",
    "status",
    "months",
    "target",
    "variation",
    "assurance",
    "spc_summary",
]


def draw(plan: Plan, theme_name: str, values: pd.DataFrame) -> tuple[Figure, str]:
    """The theme's chart for 2011-12 Q1 with no statuses judged yet: the monthly lines only."""
    no_statuses = pd.DataFrame(columns=STATUS_COLUMNS)
    no_charts = pd.DataFrame(columns=["measure_id", "month", "point_type"])
    return charts.theme_chart(
        theme_named(plan, theme_name), plan, values, no_statuses, no_charts, YEAR, 1
    )


def panel(figure: panels.PanelFigure, measure_id: str) -> panels.Panel:
    """The small multiple whose title starts with the measure number."""
    for ax in figure.panels:
        if ax.get_title().startswith(f"{measure_id} "):
            return ax
    raise AssertionError(f"no panel for {measure_id}")


def plotted(ax: panels.Panel, marker: str) -> np.ndarray:
    """The y values of the line drawn with `marker` (circles this year, squares the baseline
    year, so no reading depends on colour), in the order drawn, gaps left out."""
    (line,) = [line for line in ax.lines if line.get_marker() == marker]
    x = np.asarray(line.get_xdata(), dtype=float)
    y = np.asarray(line.get_ydata(), dtype=float)
    assert (np.diff(x[~np.isnan(y)]) > 0).all(), "months must be drawn in order"
    return y[~np.isnan(y)]


THIS_YEAR, BASELINE_YEAR = "o", "s"


def test_theme_chart_returns_a_figure_with_one_panel_per_measure(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    theme = theme_named(plan, "Drugs")
    figure, alt = draw(plan, "Drugs", drugs_values)
    assert isinstance(figure, Figure)
    assert isinstance(alt, str)
    assert len(figure.panels) == len(theme.measures)
    assert figure.axes == []  # drawn straight onto the figure
    for measure in theme.measures:
        panel(figure, measure.id)


def test_counts_are_plotted_month_by_month(plan: Plan, drugs_values: pd.DataFrame) -> None:
    """Only months with figures are drawn: a month not yet reached is a gap, never a zero."""
    figure, _ = draw(plan, "Drugs", drugs_values)
    ax = panel(figure, "4.2")
    assert list(plotted(ax, THIS_YEAR)) == [5, 6, 7]
    assert list(plotted(ax, BASELINE_YEAR)) == [10, 11, 12, 13]


def test_alt_text_states_the_ytd_and_same_months_baseline_sums(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    """18 = 5+6+7 this year; 33 = 10+11+12, the same three months (July's 13 is left out)."""
    _, alt = draw(plan, "Drugs", drugs_values)
    assert "2011-12" in alt and "2010-11" in alt
    assert "4.2: 18 repeat offenders from Apr 2011 to Jun 2011" in alt
    assert "against 33 in the same months of 2010-11" in alt
    assert "900" not in alt  # a breakdown row is not the measure's figure


def test_alt_text_says_when_a_measure_has_no_figures_yet(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    _, alt = draw(plan, "Drugs", drugs_values)
    assert "4.1: no figures yet" in alt


def test_proportions_are_plotted_as_percentages(plan: Plan, drugs_values: pd.DataFrame) -> None:
    """6 of 10 is drawn at 60 and 9 of 20 at 45; 0 of 0 is left out, not drawn at infinity."""
    figure, alt = draw(plan, "Drugs", drugs_values)
    ax = panel(figure, "4.3")
    assert plotted(ax, THIS_YEAR) == pytest.approx([60.0, 45.0])
    assert plotted(ax, BASELINE_YEAR) == pytest.approx([25.0])
    assert "4.3: latest 45.0" in alt
    assert "(May 2011)" in alt


def test_theme_chart_with_no_values_still_draws(plan: Plan) -> None:
    """A quarter with every extract missing must still give a report, not a crash."""
    empty = pd.DataFrame(columns=VALUE_COLUMNS)
    figure, alt = draw(plan, "Em Issue", empty)
    assert isinstance(figure, Figure)
    assert "6.1: no figures yet" in alt
    assert "6.2: no figures yet" in alt


def test_png_data_uri_is_an_embeddable_png(plan: Plan, drugs_values: pd.DataFrame) -> None:
    figure, _ = draw(plan, "Drugs", drugs_values)
    uri = panels.png_data_uri(figure)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    data = base64.b64decode(uri.removeprefix(prefix), validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 0 and height > 0


def test_png_is_in_256_colours_with_the_chart_colours_exact(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    """A palette PNG (a quarter of the size), whose background is the page's white and whose
    this-year line is the palette's near black, not an octree bucket's average."""
    figure, _ = draw(plan, "Drugs", drugs_values)
    uri = panels.png_data_uri(figure)
    image = Image.open(io.BytesIO(base64.b64decode(uri.removeprefix("data:image/png;base64,"))))
    assert image.mode == "P"
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=256) or []}
    assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)
    assert (0x0B, 0x0C, 0x0C) in colours


def test_value_axis_starts_at_zero_and_holds_every_figure(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    figure, _ = draw(plan, "Drugs", drugs_values)
    bottom, top = panel(figure, "4.2").get_ylim()
    assert bottom == 0
    assert top >= 13  # the baseline year's highest month


def test_time_axis_names_april_and_october_of_both_years(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    figure, _ = draw(plan, "Drugs", drugs_values)
    for measure_id in ("4.1", "4.2", "4.3"):
        texts = {text.get_text() for text in panel(figure, measure_id).texts}
        assert {"Apr 10", "Oct 10", "Apr 11", "Oct 11"} <= texts


def test_panels_lie_apart_inside_the_figure_with_their_titles_above(
    plan: Plan, drugs_values: pd.DataFrame
) -> None:
    """Panels are boxes of the figure, not matplotlib Axes: three to a row, none overlapping, each
    with its title just above it and its frame along its left and bottom edges."""
    figure, _ = draw(plan, "Drugs", drugs_values)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    boxes = [panel_drawn.window.frozen() for panel_drawn in figure.panels]
    assert all(figure.bbox.contains(b.x0, b.y0) and figure.bbox.contains(b.x1, b.y1) for b in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    rows = Counter(round(b.y0) for b in boxes)
    assert list(rows.values()) == [3] * (len(boxes) // 3) + [len(boxes) % 3] * (len(boxes) % 3 > 0)
    for panel_drawn, box in zip(figure.panels, boxes, strict=True):
        title = panel_drawn.title.get_window_extent(renderer)
        assert box.y1 < title.y0 < box.y1 + 20 and abs(title.x0 - box.x0) < 2
        frame = [
            line for line in panel_drawn.lines if line.get_transform() is panel_drawn.transAxes
        ]
        assert [line.get_xydata().tolist() for line in frame] == [
            [[0, 0], [0, 1]],
            [[0, 0], [1, 0]],
        ]
