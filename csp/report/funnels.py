"""Funnel plots of a comparison of partnerships (`csp.report.peers`): each partnership's ratio
against its baseline count, with the pooled ratio and the limits, in the dashboard's palette."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from csp.report.panels import DPI, PALETTE, collector_paused, wrap

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


@collector_paused()
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
    ax.set_title(wrap(title, 70), fontsize=9, loc="left", color=PALETTE["text"])
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
