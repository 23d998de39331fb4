"""Charts: each theme's measures, month by month, this year beside the baseline year.

Figures are drawn with matplotlib's object API (no pyplot state, nothing shown inline) and embedded in
the report as PNG data, so the HTML stays one self-contained file. One colour-blind-safe palette
(Okabe-Ito) is used the same way everywhere, and line style and markers differ too, so no reading
depends on colour alone.
"""

from __future__ import annotations

import base64
import io
import math

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from csp.periods import MONTH_ABBR, FinancialYear
from csp.plan import Measure, Plan, Theme

PALETTE = {
    "this_year": "#0072B2",  # Okabe-Ito blue
    "baseline": "#E69F00",  # Okabe-Ito orange
    "target": "#009E73",  # Okabe-Ito green
    "concern": "#D55E00",  # Okabe-Ito vermilion
    "improvement": "#56B4E9",  # Okabe-Ito sky blue
    "neutral": "#CC79A7",  # Okabe-Ito purple
    "grid": "#DDDDDD",
    "text": "#0B0C0C",
}


def monthly_series(values: pd.DataFrame, measure: Measure, year: FinancialYear) -> pd.Series:
    """The measure's monthly figure for one year (percentages for proportions), April first."""
    rows = values[
        (values["measure_id"] == measure.id)
        & (values["series"] == "main")
        & (values["year"] == str(year))
    ].sort_values("month")
    figure = rows["value"].astype(float)
    if measure.metric.kind == "proportion":
        figure = 100 * figure / rows["denominator"].astype(float).where(lambda d: d > 0)
    return pd.Series(figure.to_numpy(), index=rows["month"].to_numpy())


def theme_chart(
    theme: Theme, plan: Plan, values: pd.DataFrame, year: FinancialYear
) -> tuple[Figure, str]:
    """Small multiples for a theme, and the text alternative describing what they show."""
    baseline_year = plan.baseline_for(year)
    measures = list(theme.measures)
    columns = min(3, len(measures))
    rows = math.ceil(len(measures) / columns)
    figure = Figure(figsize=(3.6 * columns, 2.5 * rows), dpi=100, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    descriptions = []
    for index, measure in enumerate(measures):
        ax = axes[index // columns][index % columns]
        this_year = monthly_series(values, measure, year)
        baseline = monthly_series(values, measure, baseline_year)
        _draw_panel(ax, measure, this_year, baseline, year, baseline_year)
        descriptions.append(_describe(measure, this_year, baseline, year, baseline_year))
    for index in range(len(measures), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        figure.legend(
            handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=8
        )
    alt = f"Charts for {theme.title}, month by month, {year} against {baseline_year}. " + " ".join(
        descriptions
    )
    return figure, alt


def _draw_panel(
    ax: Axes,
    measure: Measure,
    this_year: pd.Series,
    baseline: pd.Series,
    year: FinancialYear,
    baseline_year: FinancialYear,
) -> None:
    """The baseline year, then this year, on one time axis: seasons and shocks stay visible."""
    months = [str(m) for m in (*baseline_year.months, *year.months)]
    position = {month: i for i, month in enumerate(months)}
    for series, colour, style, marker, label in (
        (baseline, PALETTE["baseline"], "--", "s", f"{baseline_year} (baseline)"),
        (this_year, PALETTE["this_year"], "-", "o", str(year)),
    ):
        present = series.dropna()
        present = present[present.index.isin(months)]
        ax.plot(
            [position[m] for m in present.index],
            present.to_numpy(),
            color=colour,
            linestyle=style,
            marker=marker,
            markersize=3.5,
            linewidth=1.8 if style == "-" else 1.3,
            label=label,
        )
    ax.axvline(11.5, color=PALETTE["grid"], linewidth=1)
    ticks = list(range(0, 24, 3))
    ax.set_xticks(ticks, [_tick_label(months[i]) for i in ticks], fontsize=7)
    ax.set_xlim(-0.5, 23.5)
    ax.set_title(
        _wrap(f"{measure.id} {measure.title}", 42), fontsize=8, loc="left", color=PALETTE["text"]
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel(measure.metric.unit or "", fontsize=7)
    ax.grid(axis="y", color=PALETTE["grid"], linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if this_year.dropna().empty and baseline.dropna().empty:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=8)
        ax.set_yticks([])
    else:
        ax.set_ylim(bottom=0)


def _tick_label(month: str) -> str:
    period = pd.Period(month, freq="M")
    return f"{MONTH_ABBR[period.month - 1]} {period.year % 100:02d}"


def _describe(
    measure: Measure,
    this_year: pd.Series,
    baseline: pd.Series,
    year: FinancialYear,
    baseline_year: FinancialYear,
) -> str:
    present = this_year.dropna()
    if present.empty:
        return f"{measure.id}: no figures yet for {year}."
    first, last = present.index[0], present.index[-1]
    months = f"{_month_label(first)} to {_month_label(last)}"
    unit = f" {measure.metric.unit}" if measure.metric.unit else ""
    if measure.metric.kind in ("count", "repeat"):
        same = baseline.reindex([str(pd.Period(m, freq="M") - 12) for m in present.index]).dropna()
        base_text = (
            f", against {same.sum():.0f} in the same months of {baseline_year}" if len(same) else ""
        )
        return f"{measure.id}: {present.sum():.0f}{unit} from {months}{base_text}."
    return f"{measure.id}: latest {present.iloc[-1]:.1f}{unit} ({_month_label(last)})."


def _month_label(month: str) -> str:
    period = pd.Period(month, freq="M")
    return f"{MONTH_ABBR[period.month - 1]} {period.year}"


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
