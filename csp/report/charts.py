"""Charts: each theme's measures as Making Data Count control charts, month by month, the baseline
year then this year on one time axis.

Figures are drawn with matplotlib's object API (no pyplot state, nothing shown inline) and embedded
in the report as PNG data, so the HTML stays one self-contained file. They are cheap to draw because
nothing is worked out twice: the layout is fixed, limits and ticks are set rather than fitted, the
panels are drawn straight onto the figure (`Panel`: no matplotlib Axes, whose making cost more than
the drawing) and the key is drawn once a process. One colour-blind-safe palette (Okabe-Ito) is used
the same way in every chart, and line style, marker shape and icon letters carry the same meaning,
so no reading depends on colour alone.

Each panel is a `csp.report.panels.Panel`; the funnel plots of peers are in `csp.report.funnels`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.patches import Circle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import (
    blended_transform_factory,
    offset_copy,
)

from csp.domain.periods import MONTH_ABBR, PlanYear, month_label
from csp.plan import Measure, Plan, Theme
from csp.report.panels import (
    DPI,
    KEY_PAD,
    LABEL_PAD,
    PALETTE,
    TICK,
    TICK_MARK,
    Panel,
    PanelFigure,
    collector_paused,
    wrap,
)

Figures = dict[tuple[str, str], pd.Series]  # main_figures: (measure, year) -> by month
Monthly = dict[str, float]  # a measure's figures for a year by month ('2011-04'), in order
Chart = dict[str, np.ndarray]  # a judged control chart's columns (CHART_COLUMNS), month by month

PANEL_WIDTH, PANEL_HEIGHT, LEGEND_ROW = 3.7, 2.55, 0.17  # inches
KEY_ENTRIES = 8  # lines and points in the key (_legend_handles)
QUARTER_TICKS = tuple(range(0, 24, 3))  # of the 24 months drawn, the first of each quarter
NAMED_MONTHS = tuple(range(0, 24, 6))  # and those named: April and October
CHART_COLUMNS = ("month", "mean", "upl", "lpl", "target", "value", "point_type")
TEXT_COLUMNS = ("month", "point_type")
POINT_COLOURS = {
    "special_cause_improvement": PALETTE["improvement"],
    "special_cause_concern": PALETTE["concern"],
    "special_cause_neutral_high": PALETTE["neutral"],
    "special_cause_neutral_low": PALETTE["neutral"],
}
VARIATION_ICON = {
    "common_cause": (PALETTE["common"], "~", "common cause variation"),
    "special_cause_improvement": (PALETTE["improvement"], None, "special cause: improvement"),
    "special_cause_concern": (PALETTE["concern"], None, "special cause: concern"),
    "special_cause_neutral_high": (PALETTE["neutral"], "H", "special cause: higher"),
    "special_cause_neutral_low": (PALETTE["neutral"], "L", "special cause: lower"),
}
ASSURANCE_ICON = {
    "consistent_pass": (PALETTE["improvement"], "P", "the target will consistently be met"),
    "consistent_fail": (PALETTE["concern"], "F", "the target will consistently be missed"),
    "inconsistent": (PALETTE["common"], "?", "the target may or may not be met"),
}


@collector_paused()
def theme_chart(
    theme: Theme,
    plan: Plan,
    values: pd.DataFrame,
    statuses: pd.DataFrame,
    control_charts: pd.DataFrame,
    year: PlanYear,
    quarter: int,
    figures: Figures | None = None,
) -> tuple[PanelFigure, str]:
    """Small multiples for a theme, one control chart per measure, and their text alternative.

    The control charts are the ones the judgement made (control_charts.csv): drawn, not redone.
    `figures` (`main_figures`) lets a dashboard work the monthly figures out once for every
    theme rather than once a theme."""
    baseline_year = plan.baseline_for(year)
    if figures is None:
        figures = main_figures(values, plan)
    months = [str(m) for m in (*baseline_year.months, *year.months)]
    figure = _panels(len(theme.measures), months)
    month_names = [_tick_label(months[i]) for i in NAMED_MONTHS]
    rows = _status_rows(statuses, theme, quarter)
    judged = _judged_charts(control_charts, theme)
    descriptions = []
    for panel, measure in zip(figure.panels, theme.measures, strict=True):
        row = rows.get(measure.id)
        chart = judged.get(measure.id)
        this_year = _monthly(figures.get((measure.id, str(year))))
        baseline = _monthly(figures.get((measure.id, str(baseline_year))))
        top = _draw_panel(panel, this_year, baseline, chart, months)
        _draw_frame(panel, measure, top, month_names)
        if chart is not None and row is not None:
            _draw_icons(panel, row["variation"], row["assurance"])
        descriptions.append(_describe(measure, this_year, baseline, baseline_year, row))
    alt = (
        f"Control charts for {theme.title}, month by month: {baseline_year}, the baseline, "
        f"then {year}. " + " ".join(descriptions)
    )
    return figure, alt


def _panels(count: int, months: list[str]) -> PanelFigure:
    """A figure with one panel per measure, three to a row, on one time axis, and the key.

    Only the panels drawn are made; the key is the same picture in every chart, so it is drawn
    once and pasted."""
    columns = min(3, count)
    rows = math.ceil(count / columns)
    legend_columns = 4 if columns > 1 else 2
    legend = 0.12 + LEGEND_ROW * math.ceil(KEY_ENTRIES / legend_columns)
    width, height = PANEL_WIDTH * columns, PANEL_HEIGHT * rows + legend
    figure = PanelFigure(figsize=(width, height), dpi=DPI)
    grid = GridSpec(rows, columns, figure=figure, **_margins(width, height, legend))
    figure.panels = [
        Panel(figure, grid[index // columns, index % columns].get_position(figure), len(months))
        for index in range(count)
    ]
    key = _key(legend_columns)
    bottom = round(KEY_PAD / 72 * DPI)
    figure.figimage(key, xo=(round(width * DPI) - key.shape[1]) // 2, yo=bottom, origin="upper")
    return figure


def _margins(width: float, height: float, legend: float) -> dict[str, float]:
    """Fixed margins in inches: a layout engine would cost more than all the drawing."""
    return {
        "left": 0.55 / width,
        "right": 1 - 0.12 / width,
        "top": 1 - 0.62 / height,
        "bottom": (legend + 0.3) / height,
        "wspace": 0.75 / PANEL_WIDTH * 2,
        "hspace": 0.95 / PANEL_HEIGHT * 2,
    }


def _status_rows(statuses: pd.DataFrame, theme: Theme, quarter: int) -> dict[str, pd.Series]:
    """The theme's status rows for the quarter by measure (the first of each), found in one pass
    over two columns rather than by filtering the table once a panel."""
    wanted, found = {m.id for m in theme.measures}, {}
    keys = zip(statuses["measure_id"].tolist(), statuses["quarter"].tolist(), strict=True)
    for index, (measure_id, at) in enumerate(keys):
        if measure_id in wanted and at == f"Q{quarter}":
            found.setdefault(measure_id, index)
    return {measure_id: statuses.iloc[index] for measure_id, index in found.items()}


def _judged_charts(control_charts: pd.DataFrame, theme: Theme) -> dict[str, Chart]:
    """The theme's control charts by measure, as columns of plain arrays, split once a theme."""
    if control_charts.empty:
        return {}
    ids = control_charts["measure_id"].to_numpy()
    columns = {
        name: control_charts[name].to_numpy(dtype=None if name in TEXT_COLUMNS else float)
        for name in CHART_COLUMNS
    }
    charts = {}
    for measure in theme.measures:
        rows = ids == measure.id
        if rows.any():
            charts[measure.id] = {name: column[rows] for name, column in columns.items()}
    return charts


def _monthly(series: pd.Series | None) -> Monthly:
    """A measure's figures for a year, months without one left out: a dozen values are handled
    quicker as a plain mapping than through pandas, and each panel handles them several times."""
    if series is None:
        return {}
    values = series.to_numpy(dtype=float).tolist()
    return {m: v for m, v in zip(series.index.tolist(), values, strict=True) if not math.isnan(v)}


def _draw_panel(
    panel: Panel,
    this_year: Monthly,
    baseline: Monthly,
    chart: Chart | None,
    months: list[str],
) -> float | None:
    """The baseline year, then this year, on one time axis; limits, mean, target and special
    causes. Returns the highest value drawn, or None when neither year has a figure."""
    position = {month: i for i, month in enumerate(months)}
    drawn: list[float] = []
    for figures, colour, style, marker in (
        (baseline, PALETTE["baseline"], "--", "s"),
        (this_year, PALETTE["this_year"], "-", "o"),
    ):
        shown = [month for month in figures if month in position]
        drawn += [figures[month] for month in shown]
        panel.line(
            [position[month] for month in shown],
            [figures[month] for month in shown],
            color=colour,
            linestyle=style,
            marker=marker,
            markersize=3,
            linewidth=1.6 if style == "-" else 1.2,
            zorder=3,
        )
    if chart is not None:
        _draw_control_chart(panel, chart, position)
    if not drawn:
        return None
    limits = [chart[c] for c in ("upl", "target", "value")] if chart is not None else []
    values = np.concatenate([drawn, *limits])
    values = values[np.isfinite(values)]
    return float(values.max()) if len(values) else 0.0


def _draw_frame(panel: Panel, measure: Measure, top: float | None, month_names: list[str]) -> None:
    """Title, frame, ticks and grid at places worked out here, so a draw only paints them: the
    matplotlib tick machinery and autoscaling would measure and place each label at every draw."""
    title = wrap(f"{measure.id} {measure.title}", 36)
    panel.set_title(title, fontsize=8, color=PALETTE["text"])
    across = blended_transform_factory(panel.transData, panel.transAxes)
    panel.line([11.5, 11.5], [0, 1], transform=across, color=PALETTE["grid"], linewidth=1)
    panel.frame()
    _draw_time_ticks(panel, month_names)
    metric = measure.metric
    label = metric.kind.axis_label(metric.unit, metric.options)
    if top is None:
        panel.set_ylim(0, 1)
        panel.text(
            0.5, 0.5, "no data", transform=panel.transAxes, ha="center", va="center", fontsize=8
        )
        panel.set_ylabel(label, LABEL_PAD, fontsize=7)
        return
    ticks, texts = _value_ticks(top)
    panel.set_ylim(0, max(top * 1.05, ticks[-1]))
    along = blended_transform_factory(panel.transAxes, panel.transData)
    grid = np.array([[0.0, 1.0, np.nan]] * len(ticks)).ravel()  # one line, broken between values
    panel.line(
        grid, np.repeat(ticks, 3), transform=along, color=PALETTE["grid"], linewidth=0.6, zorder=1
    )
    panel.line(np.zeros(len(ticks)), ticks, transform=along, **TICK_MARK, marker=TICKLEFT)
    at = offset_copy(along, panel.figure, x=-2 * TICK, units="points")
    for tick, text in zip(ticks, texts, strict=True):
        panel.text(0, tick, text, transform=at, ha="right", va="center_baseline", fontsize=7)
    width = 2 * TICK + 0.64 * 7 * max(len(t) for t in texts) + LABEL_PAD  # marks, digits, gap
    panel.set_ylabel(label, width, fontsize=7)


def _draw_time_ticks(panel: Panel, month_names: list[str]) -> None:
    """A tick mark each quarter of the 24 months, and the month named each half year."""
    along = blended_transform_factory(panel.transData, panel.transAxes)
    ticks = np.zeros(len(QUARTER_TICKS))
    panel.line(QUARTER_TICKS, ticks, transform=along, **TICK_MARK, marker=TICKDOWN)
    at = offset_copy(along, panel.figure, y=-2 * TICK, units="points")
    for position, text in zip(NAMED_MONTHS, month_names, strict=True):
        panel.text(position, 0, text, transform=at, ha="center", va="top", fontsize=6.5)


def _draw_control_chart(panel: Panel, chart: Chart, position: dict[str, int]) -> None:
    """Mean, process limits, monthly target and the special-cause points the judgement found."""
    x = np.array([position[m] for m in chart["month"]])
    for column, style in (("mean", "-"), ("upl", ":"), ("lpl", ":")):
        panel.line(
            x, chart[column], color=PALETTE["limits"], linestyle=style, linewidth=1, zorder=2
        )
    panel.line(x, chart["target"], color=PALETTE["target"], linestyle="-.", linewidth=1.2, zorder=2)
    types, values = chart["point_type"], chart["value"]
    for point_type in sorted(POINT_COLOURS.keys() & set(types)):
        panel.line(
            x[types == point_type],
            values[types == point_type],
            linestyle="none",
            marker="D" if point_type == "special_cause_concern" else "o",
            markersize=math.sqrt(30),  # a scatter's s=30, in points squared
            markerfacecolor=POINT_COLOURS[point_type],
            markeredgecolor=PALETTE["text"],
            markeredgewidth=0.5,
            zorder=4,
        )


def _draw_icons(panel: Panel, variation: str, assurance: str) -> None:
    """Variation and assurance icons in the style of Making Data Count, drawn here (no images)."""
    icons = [VARIATION_ICON.get(variation or "")]
    icons.append(ASSURANCE_ICON.get(assurance or ""))
    for slot, icon in enumerate(i for i in icons if i is not None):
        colour, letter, _ = icon
        centre = (0.97 - 0.1 * slot, 1.1)
        panel.add(
            Circle(
                centre,
                0.045,
                transform=panel.transAxes,
                facecolor="white",
                edgecolor=colour,
                linewidth=2,
                clip_on=False,
            )
        )
        if letter is None:  # improvement or concern: an arrow showing which way the change went
            letter = "↑" if variation.endswith("improvement") else "!"
        panel.text(
            *centre,
            letter,
            transform=panel.transAxes,
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold",
            color=colour,
        )


def _value_ticks(top: float) -> tuple[list[float], list[str]]:
    """Round values from zero to the top, at most five, written with the decimals they need."""
    top = top * 1.05 if top > 0 else 1.0
    ticks = [float(t) for t in MaxNLocator(nbins=4).tick_values(0, top) if 0 <= t <= top]
    decimals = next((d for d in range(6) if all(abs(round(t, d) - t) < 1e-9 for t in ticks)), 6)
    return ticks, [f"{t:.{decimals}f}" for t in ticks]


@functools.cache
def _key(columns: int) -> np.ndarray:
    """The key, as pixels: the same in every chart, so drawn once and pasted into each."""
    figure = Figure(figsize=(PANEL_WIDTH * 3, 1), dpi=DPI)
    legend = figure.legend(
        handles=_legend_handles(), loc="center", ncols=columns, frameon=False, fontsize=7
    )
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    box = legend.get_window_extent(canvas.get_renderer())
    pixels = np.asarray(canvas.buffer_rgba())
    rows = slice(pixels.shape[0] - math.ceil(box.y1), pixels.shape[0] - math.floor(box.y0))
    key = pixels[rows, math.floor(box.x0) : math.ceil(box.x1)].copy()
    key.flags.writeable = False
    return key


def _legend_handles() -> list[Line2D]:
    def line(colour: str, style: str, label: str, marker: str = "") -> Line2D:
        return Line2D(
            [], [], color=colour, linestyle=style, marker=marker or None, markersize=3, label=label
        )

    def point(colour: str, marker: str, label: str) -> Line2D:
        return Line2D(
            [], [], color="none", marker=marker, markerfacecolor=colour,
            markeredgecolor=PALETTE["text"], label=label,
        )  # fmt: skip

    return [
        line(PALETTE["baseline"], "--", "baseline year", "s"),
        line(PALETTE["this_year"], "-", "this year", "o"),
        line(PALETTE["limits"], "-", "mean"),
        line(PALETTE["limits"], ":", "process limits"),
        line(PALETTE["target"], "-.", "monthly target"),
        point(PALETTE["improvement"], "o", "special cause: improvement"),
        point(PALETTE["concern"], "D", "special cause: concern"),
        point(PALETTE["neutral"], "o", "special cause: neutral"),
    ]


def _describe(
    measure: Measure,
    this_year: Monthly,
    baseline: Monthly,
    baseline_year: PlanYear,
    row: pd.Series | None,
) -> str:
    """What one panel shows, in words: the figures, and the control chart's reading."""
    if not this_year:
        return f"{measure.id}: no figures yet this year."
    present = list(this_year)
    first, last = present[0], present[-1]
    months = f"{month_label(first)} to {month_label(last)}"
    metric = measure.metric
    kind, label = metric.kind, metric.kind.axis_label(metric.unit, metric.options)
    unit = f" {label}" if label else ""
    if not kind.level:
        same = [baseline[m] for m in map(_year_before, present) if m in baseline]
        base_text = ""
        if len(same) == len(present):
            base_text = (
                f", against {kind.format(np.sum(same))} in the same months of {baseline_year}"
            )
        elif same:  # a gap in the baseline: no total of the months that are there
            base_text = f"; {baseline_year} has only {len(same)} of the same months"
        total = np.sum(list(this_year.values()))
        text = f"{measure.id}: {kind.format(total)}{unit} from {months}{base_text}."
    else:
        text = f"{measure.id}: latest {this_year[last]:.1f}{unit} ({month_label(last)})."
    if row is not None and row["spc_summary"]:
        text += f" {row['spc_summary']}"
        if row["assurance"] in ASSURANCE_ICON:
            text += f" Against the target, {ASSURANCE_ICON[row['assurance']][2]}."
    return text


def _year_before(month: str) -> str:
    """'2011-08' -> '2010-08'."""
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def _tick_label(month: str) -> str:
    period = pd.Period(month, freq="M")
    return f"{MONTH_ABBR[period.month - 1]} {period.year % 100:02d}"


def main_figures(values: pd.DataFrame, plan: Plan) -> dict[tuple[str, str], pd.Series]:
    """Each measure's monthly figure for each year, by month, as its kind shows it (percentages,
    rates): {(measure_id, year): figures}. One pass over the values table."""
    measures = {m.id: m for m in plan.measures}
    main = values[values["series"] == "main"]
    figures = {}
    for (measure_id, year), rows in main.groupby(["measure_id", "year"], sort=False):
        metric = measures[measure_id].metric
        rows = rows.sort_values("month")
        figure = metric.kind.figure(
            rows["value"].to_numpy(dtype=float),
            rows["denominator"].to_numpy(dtype=float),
            metric.options,
        )
        figures[(measure_id, str(year))] = pd.Series(figure, index=rows["month"].to_numpy())
    return figures
