"""Charts: each theme's measures as Making Data Count control charts, month by month, the baseline
year then this year on one time axis.

Figures are drawn with matplotlib's object API (no pyplot state, nothing shown inline) and embedded in
the report as PNG data, so the HTML stays one self-contained file. One colour-blind-safe palette
(Okabe-Ito) is used the same way in every chart, and line style, marker shape and icon letters carry
the same meaning, so no reading depends on colour alone.
"""

from __future__ import annotations

import base64
import io
import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from matplotlib.ticker import MaxNLocator

from csp import metrics
from csp.periods import MONTH_ABBR, PlanYear, month_label
from csp.plan import Measure, Plan, Theme

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
NO_FIGURES = pd.Series(dtype=float)
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


def theme_chart(
    theme: Theme,
    plan: Plan,
    values: pd.DataFrame,
    statuses: pd.DataFrame,
    control_charts: pd.DataFrame,
    year: PlanYear,
    quarter: int,
) -> tuple[Figure, str]:
    """Small multiples for a theme, one control chart per measure, and their text alternative.

    The control charts are the ones the judgement made (control_charts.csv): drawn, not redone."""
    baseline_year = plan.baseline_for(year)
    measures = list(theme.measures)
    columns = min(3, len(measures))
    rows = math.ceil(len(measures) / columns)
    legend_columns = 4 if columns > 1 else 2
    legend = 0.12 + LEGEND_ROW * math.ceil(len(_legend_handles()) / legend_columns)
    width, height = PANEL_WIDTH * columns, PANEL_HEIGHT * rows + legend
    figure = Figure(figsize=(width, height), dpi=DPI)
    axes = figure.subplots(
        rows, columns, squeeze=False, gridspec_kw=_margins(width, height, legend)
    )
    descriptions = []
    figures = metrics.main_figures(values, plan)
    for index, measure in enumerate(measures):
        ax = axes[index // columns][index % columns]
        row = _status_row(statuses, measure, quarter)
        chart = _judged_chart(control_charts, measure)
        this_year = figures.get((measure.id, str(year)), NO_FIGURES)
        baseline = figures.get((measure.id, str(baseline_year)), NO_FIGURES)
        _draw_panel(ax, measure, this_year, baseline, chart, year, baseline_year)
        if chart is not None and row is not None:
            _draw_icons(ax, row["variation"], row["assurance"])
        descriptions.append(_describe(measure, this_year, baseline, baseline_year, row))
    for index in range(len(measures), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.legend(
        handles=_legend_handles(), loc="lower center", ncols=legend_columns, frameon=False,
        fontsize=7,
    )  # fmt: skip
    alt = (
        f"Control charts for {theme.title}, month by month: {baseline_year}, the baseline, "
        f"then {year}. " + " ".join(descriptions)
    )
    return figure, alt


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


def _status_row(statuses: pd.DataFrame, measure: Measure, quarter: int) -> pd.Series | None:
    rows = statuses[(statuses["measure_id"] == measure.id) & (statuses["quarter"] == f"Q{quarter}")]
    return None if rows.empty else rows.iloc[0]


def _judged_chart(control_charts: pd.DataFrame, measure: Measure) -> pd.DataFrame | None:
    chart = control_charts[control_charts["measure_id"] == measure.id]
    return None if chart.empty else chart.set_index("month")


def _draw_panel(
    ax: Axes,
    measure: Measure,
    this_year: pd.Series,
    baseline: pd.Series,
    chart: pd.DataFrame | None,
    year: PlanYear,
    baseline_year: PlanYear,
) -> None:
    """The baseline year, then this year, on one time axis; limits, mean, target and special causes."""
    months = [str(m) for m in (*baseline_year.months, *year.months)]
    position = {month: i for i, month in enumerate(months)}
    for series, colour, style, marker in (
        (baseline, PALETTE["baseline"], "--", "s"),
        (this_year, PALETTE["this_year"], "-", "o"),
    ):
        present = series.dropna()
        present = present[present.index.isin(months)]
        ax.plot(
            [position[m] for m in present.index],
            present.to_numpy(),
            color=colour,
            linestyle=style,
            marker=marker,
            markersize=3,
            linewidth=1.6 if style == "-" else 1.2,
            zorder=3,
        )
    if chart is not None:
        _draw_control_chart(ax, chart, position)
    ax.axvline(11.5, color=PALETTE["grid"], linewidth=1)
    ticks = list(range(0, 24, 3))
    ax.set_xticks(ticks, [_tick_label(months[i]) for i in ticks], fontsize=6.5)
    ax.set_xlim(-0.5, 23.5)
    ax.set_title(
        _wrap(f"{measure.id} {measure.title}", 36), fontsize=8, loc="left", color=PALETTE["text"]
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    metric = measure.metric
    ax.set_ylabel(metric.kind.axis_label(metric.unit, metric.options), fontsize=7)
    ax.grid(axis="y", color=PALETTE["grid"], linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if this_year.dropna().empty and baseline.dropna().empty:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=8)
        ax.set_yticks([])
    else:
        ax.set_ylim(bottom=0)


def _draw_control_chart(ax: Axes, chart: pd.DataFrame, position: dict[str, int]) -> None:
    """Mean, process limits, monthly target and the special-cause points the judgement found."""
    x = [position[m] for m in chart.index]
    for column, style in (("mean", "-"), ("upl", ":"), ("lpl", ":")):
        ax.plot(
            x, chart[column].to_numpy(), color=PALETTE["limits"], linestyle=style, linewidth=1,
            zorder=2,
        )  # fmt: skip
    ax.plot(
        x, chart["target"].to_numpy(), color=PALETTE["target"], linestyle="-.", linewidth=1.2,
        zorder=2,
    )  # fmt: skip
    special = chart[chart["point_type"] != "common_cause"]
    for point_type, group in special.groupby("point_type"):
        ax.scatter(
            [position[m] for m in group.index],
            group["value"].to_numpy(),
            s=30,
            color=POINT_COLOURS[point_type],
            edgecolors=PALETTE["text"],
            linewidths=0.5,
            marker="D" if point_type == "special_cause_concern" else "o",
            zorder=4,
        )


def _draw_icons(ax: Axes, variation: str, assurance: str) -> None:
    """Variation and assurance icons in the style of Making Data Count, drawn here (no images)."""
    icons = [VARIATION_ICON.get(variation or "")]
    icons.append(ASSURANCE_ICON.get(assurance or ""))
    for slot, icon in enumerate(i for i in icons if i is not None):
        colour, letter, _ = icon
        centre = (0.97 - 0.1 * slot, 1.1)
        ax.add_patch(
            Circle(
                centre,
                0.045,
                transform=ax.transAxes,
                facecolor="white",
                edgecolor=colour,
                linewidth=2,
                clip_on=False,
            )
        )
        if letter is None:  # improvement or concern: an arrow showing which way the change went
            letter = "↑" if variation.endswith("improvement") else "!"
        ax.text(
            *centre,
            letter,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold",
            color=colour,
        )


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
    this_year: pd.Series,
    baseline: pd.Series,
    baseline_year: PlanYear,
    row: pd.Series | None,
) -> str:
    """What one panel shows, in words: the figures, and the control chart's reading."""
    present = this_year.dropna()
    if present.empty:
        return f"{measure.id}: no figures yet this year."
    first, last = present.index[0], present.index[-1]
    months = f"{month_label(first)} to {month_label(last)}"
    metric = measure.metric
    kind, label = metric.kind, metric.kind.axis_label(metric.unit, metric.options)
    unit = f" {label}" if label else ""
    if not kind.level:
        same = baseline.reindex([str(pd.Period(m, freq="M") - 12) for m in present.index]).dropna()
        base_text = ""
        if len(same) == len(present):
            base_text = f", against {kind.format(same.sum())} in the same months of {baseline_year}"
        elif len(same):  # a gap in the baseline: no total of the months that are there
            base_text = f"; {baseline_year} has only {len(same)} of the same months"
        text = f"{measure.id}: {kind.format(present.sum())}{unit} from {months}{base_text}."
    else:
        text = f"{measure.id}: latest {present.iloc[-1]:.1f}{unit} ({month_label(last)})."
    if row is not None and row["spc_summary"]:
        text += f" {row['spc_summary']}"
        if row["assurance"] in ASSURANCE_ICON:
            text += f" Against the target, {ASSURANCE_ICON[row['assurance']][2]}."
    return text


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


def png_data_uri(figure: Figure, dpi: int = 100) -> str:
    """The figure as an embeddable data: URI, so the report needs no image files."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
