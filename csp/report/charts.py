"""Charts: each theme's measures as Making Data Count control charts, month by month, the baseline
year then this year on one time axis.

Figures are drawn with matplotlib's object API (no pyplot state, nothing shown inline) and embedded
in the report as PNG data, so the HTML stays one self-contained file. They are cheap to draw because
nothing is worked out twice: the layout is fixed, limits and ticks are set rather than fitted, the
panels are drawn straight onto the figure (`Panel`: no matplotlib Axes, whose making cost more than
the drawing) and the key is drawn once a process. One colour-blind-safe palette (Okabe-Ito) is used
the same way in every chart, and line style, marker shape and icon letters carry the same meaning,
so no reading depends on colour alone.

The funnel plots of a comparison of partnerships (`csp.report.peers`) are drawn here too, in the same
palette and PNG form.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.lines import Line2D
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.patches import Circle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import (
    Bbox,
    BboxTransformFrom,
    BboxTransformTo,
    TransformedBbox,
    blended_transform_factory,
    offset_copy,
)
from PIL import Image

from csp.domain.periods import MONTH_ABBR, PlanYear, month_label
from csp.engine import metrics
from csp.plan import Measure, Plan, Theme

Figures = dict[tuple[str, str], pd.Series]  # metrics.main_figures: (measure, year) -> by month
Monthly = dict[str, float]  # a measure's figures for a year by month ('2011-04'), in order
Chart = dict[str, np.ndarray]  # a judged control chart's columns (CHART_COLUMNS), month by month

PALETTE = {
    "this_year": "#0B0C0C",  # near black, solid line, circles
    "baseline": "#767676",  # grey, dashed line, squares
    "limits": "#A0A0A0",
    "target": "#009E73",  # Okabe-Ito bluish green
    "improvement": "#0072B2",  # Okabe-Ito blue, as Making Data Count
    "concern": "#E69F00",  # Okabe-Ito orange, as Making Data Count
    "neutral": "#CC79A7",  # Okabe-Ito reddish purple
    "common": "#A0A0A0",
    "grid": "#E5E5E5",
    "text": "#0B0C0C",
}
PANEL_WIDTH, PANEL_HEIGHT, LEGEND_ROW = 3.7, 2.55, 0.17  # inches
DPI = 100
EXACT_COLOURS = [  # as 0-255 RGB: black (axes, ticks), white, then the palette, which wins a tie
    np.round(np.array(to_rgb(c)) * 255).astype(int) for c in ("black", "white", *PALETTE.values())
]
TICK, KEY_PAD = 3.5, 3.5  # points: a tick mark's length and its label's gap; the key's margin
TITLE_PAD, LABEL_PAD, FRAME_WIDTH = 6.0, 4.0, 0.8  # points, as matplotlib's axes have them
TICK_MARK = {  # as matplotlib draws them
    "linestyle": "none",
    "color": "black",
    "markersize": TICK,
    "markeredgewidth": 0.8,
    "clip_on": False,
    "zorder": 2.5,
}
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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Matplotlib makes thousands of small objects a chart, and every few hundred of them would set
    off a garbage collection, some walking all the process holds (pandas, pyarrow): a sixth of the
    charts' time. Paused while one is built or drawn; its cycles are collected later as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Panel:
    """One measure's control chart, drawn straight onto the figure in its box of it.

    A matplotlib Axes makes its axis machinery (ticks, locators, four spines, three titles) whether
    or not it is used, and walks it at every draw: a third of a quarter's charting time, for a
    panel that needs none of it, since its limits, ticks and labels are set, not fitted. Months run
    across (one unit each, centred on 0 to `months` - 1), values up from zero to `set_ylim`'s top.
    What is drawn is kept (`title`, `lines`, `texts`) for what reads the chart back."""

    def __init__(self, figure: Figure, box: Bbox, months: int) -> None:
        self.figure = figure
        self.window = TransformedBbox(box, figure.transFigure)  # in pixels, for clipping
        self.limits = Bbox([[-0.5, 0.0], [months - 0.5, 1.0]])
        self.transAxes = BboxTransformTo(self.window)  # 0-1 across and up the panel
        self.transData = BboxTransformFrom(self.limits) + self.transAxes
        self.title: Text | None = None
        self.lines: list[Line2D] = []
        self.texts: list[Text] = []

    def add(self, artist: Artist) -> None:
        """An artist of the panel, kept inside its box unless it says otherwise (`clip_on`)."""
        if artist.get_clip_on():
            artist.set_clip_box(self.window)
        self.figure.add_artist(artist)

    def line(self, x: object, y: object, **style: object) -> Line2D:
        line = Line2D(x, y, **{"transform": self.transData, **style})
        self.add(line)
        self.lines.append(line)
        return line

    def text(self, x: float, y: float, text: str, **style: object) -> Text:
        shown = self.figure.text(x, y, text, **{"transform": self.transData, **style})
        self.texts.append(shown)
        return shown

    def set_title(self, text: str, **style: object) -> None:
        """Above the panel's top left corner, as an Axes' left title."""
        above = offset_copy(self.transAxes, self.figure, y=TITLE_PAD, units="points")
        style = {"va": "baseline", "ha": "left", "transform": above, **style}
        self.title = self.figure.text(0, 1, text, **style)

    def set_ylabel(self, text: str, left: float, **style: object) -> None:
        """Upright, centred on the panel's height, `left` points left of its frame."""
        at = offset_copy(self.transAxes, self.figure, x=-left, units="points")
        style = {"rotation": "vertical", "rotation_mode": "anchor", "transform": at, **style}
        self.text(0, 0.5, text, va="bottom", ha="center", **style)

    def frame(self) -> None:
        """The left and bottom edges, as an Axes' spines."""
        for x, y in (([0, 0], [0, 1]), ([0, 1], [0, 0])):
            self.line(
                x,
                y,
                transform=self.transAxes,
                color="black",
                linewidth=FRAME_WIDTH,
                solid_capstyle="projecting",
                clip_on=False,
                zorder=2.5,
            )

    def set_ylim(self, bottom: float, top: float) -> None:
        self.limits.intervaly = bottom, top

    def get_ylim(self) -> tuple[float, float]:
        return self.limits.y0, self.limits.y1

    def get_title(self) -> str:
        return "" if self.title is None else self.title.get_text()


class PanelFigure(Figure):
    """A theme's figure, with its panels (`panels`) for what reads the chart back."""

    panels: list[Panel]


@_collector_paused()
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
    `figures` (metrics.main_figures) lets a dashboard work the monthly figures out once for every
    theme rather than once a theme."""
    baseline_year = plan.baseline_for(year)
    if figures is None:
        figures = metrics.main_figures(values, plan)
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
    title = _wrap(f"{measure.id} {measure.title}", 36)
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


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])


def _exact_palette(palette: list[int]) -> list[int]:
    """An octree palette averages each bucket of colours, so white comes out 254 and the text a shade
    off: the bucket nearest each colour the charts use is given that colour exactly."""
    entries = np.array(palette, dtype=int).reshape(-1, 3)
    for colour in EXACT_COLOURS:
        distance = np.abs(entries - colour).sum(axis=1)
        nearest = int(distance.argmin())
        if distance[nearest] <= 32:
            entries[nearest] = colour
    return entries.ravel().tolist()


@_collector_paused()
def png_data_uri(figure: Figure) -> str:
    """The figure as an embeddable data: URI, so the report needs no image files.

    In 256 colours: a chart has a few hundred (its palette and their anti-aliased edges), so the
    PNG is a quarter of the size of a full-colour one, and quicker to encode."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    pixels = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
    image = pixels.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = image.getpalette()
    if palette:
        image.putpalette(_exact_palette(palette))
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- funnel plots (csp.report.peers) ---------------------------------------------------------------------

FUNNEL_SIZE = (6.4, 3.6)  # inches
FUNNEL_LINES = {  # limit -> (style, label of the pair)
    "upper_99_8": (":", "99.8% limits"),
    "lower_99_8": (":", None),
    "upper_95": ("--", "95% limits"),
    "lower_95": ("--", None),
}
FUNNEL_MARKERS = {
    1: ("^", "above a limit"),
    0: ("o", "within the limits"),
    -1: ("v", "below a limit"),
}


@dataclass(frozen=True)
class FunnelPoint:
    """A partnership on a funnel plot: its baseline count, its ratio, and which side of the limits
    it is (+1 above, 0 within, -1 below)."""

    name: str
    baseline: float
    ratio: float
    side: int


@_collector_paused()
def funnel_chart(
    points: list[FunnelPoint],
    pooled: float,
    baselines: np.ndarray,
    limits: dict[str, np.ndarray],
    *,
    title: str,
    x_label: str,
) -> Figure:
    """Each partnership's ratio against its baseline count, the pooled ratio and the limits drawn
    at each of `baselines`. Points outside a limit are triangles pointing the way they are out
    (and coloured), so no reading depends on colour alone; each is named beside it."""
    figure = Figure(figsize=FUNNEL_SIZE, dpi=DPI)
    ax = figure.add_axes((0.1, 0.15, 0.64, 0.73))
    ax.set_title(_wrap(title, 70), fontsize=9, loc="left", color=PALETTE["text"])
    ax.axhline(pooled, color=PALETTE["text"], linewidth=1.2, label="pooled ratio", zorder=2)
    for name, (style, label) in FUNNEL_LINES.items():
        ax.plot(baselines, limits[name], linestyle=style, color=PALETTE["baseline"], linewidth=1.1,
                label=label, zorder=2)  # fmt: skip
    for side, (marker, label) in FUNNEL_MARKERS.items():
        shown = [p for p in points if p.side == side]
        if shown:
            ax.scatter([p.baseline for p in shown], [p.ratio for p in shown], marker=marker, s=36,
                       color=PALETTE["neutral"] if side else PALETTE["text"],
                       edgecolors=PALETTE["text"], linewidths=0.5, label=label, zorder=4)  # fmt: skip
    for point in points:
        ax.annotate(point.name, (point.baseline, point.ratio), xytext=(5, 3),
                    textcoords="offset points", fontsize=7, color=PALETTE["text"])  # fmt: skip
    ax.set_xlim(0, float(baselines.max()))
    ax.set_ylim(*_funnel_range(points, pooled, baselines, limits))
    ax.set_xlabel(x_label, fontsize=8)
    ax.set_ylabel("this year ÷ baseline", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(color=PALETTE["grid"], linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, fontsize=7)
    return figure


def _funnel_range(
    points: list[FunnelPoint], pooled: float, baselines: np.ndarray, limits: dict[str, np.ndarray]
) -> tuple[float, float]:
    """The ratios shown: every point, and the 99.8% limits from half the smallest baseline on: the
    funnel opens wide at tiny baselines, and drawn whole there it would squash the points."""
    near = baselines >= min(p.baseline for p in points) / 2
    values = np.array(
        [
            pooled,
            *(p.ratio for p in points),
            *limits["upper_99_8"][near],
            *limits["lower_99_8"][near],
        ]
    )
    values = values[np.isfinite(values)]
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * 0.08 or 0.1
    return max(low - pad, 0.0), high + pad
