"""Peer comparison: after a run of many plans, each measure's year to date against its baseline,
partnership by partnership, on a funnel plot, so that a board sees which partnership changed beyond
what chance allows if all had changed as they did together.

`write_peers` writes reports/peers/<year>/Q<n>/peers.csv and peers.html (one self-contained file),
built aside and swapped in whole under a lock, then rebuilds reports/index.html; the figures come
from `csp.report.peer_figures`, the page is made here.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import numpy as np

from csp import __version__, config
from csp.domain.periods import quarter_label, year_of_folder
from csp.report import funnels, index
from csp.report.html import TEMPLATES
from csp.report.panels import png_data_uri
from csp.report.peer_figures import (
    FLAG_WORDS,
    Comparison,
    Entry,
    Partnership,
    compare_measure,
    measure_ids,
    peers_table,
    per_residents,
    read_partnerships,
)
from csp.stats import funnel
from csp.store import lock

CURVE_POINTS = 120  # points of each limit's curve on a funnel plot


def write_peers(
    plans: Sequence[str], year: str, quarter: int, reports_root: Path | None = None
) -> Path:
    """Compare the plans' reports of one quarter; write peers.csv and peers.html in
    reports/peers/<year>/Q<n>/ (the last good pair stays if anything fails) and return the page."""
    root = reports_root or config.REPORTS_DIR
    partnerships = read_partnerships(plans, str(year), quarter, root)
    comparisons = [compare_measure(m, partnerships) for m in measure_ids(partnerships)]
    final = root / index.PEERS_FOLDER / str(year) / f"Q{quarter}"
    with lock.hold(f"the peer comparison of {year} Q{quarter}", final):
        stage = lock.staging_dir(final, uuid.uuid4().hex[:8])
        stage.mkdir(parents=True)
        try:
            peers_table(comparisons).to_csv(stage / index.PEERS_TABLE, index=False)
            page = peers_page(comparisons, partnerships, str(year), quarter, final)
            (stage / index.PEERS_PAGE).write_text(page, encoding="utf-8")
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        lock.swap_in(stage, final)
    index.build_index(root)
    return final / index.PEERS_PAGE


# --- peers.html -------------------------------------------------------------------------------------


def peers_page(
    comparisons: list[Comparison],
    partnerships: list[Partnership],
    year: str,
    quarter: int,
    folder: Path,
) -> str:
    """The page: who is outside the limits, in words; then a funnel and a table per measure."""
    plan_year = year_of_folder(year)
    compared = [c for c in comparisons if c.pooled_ratio is not None]
    css = config.STYLESHEET.read_text(encoding="utf-8")
    return TEMPLATES.get_template("peers.html.j2").render(
        css=css,
        year_label=plan_year.label,
        quarter_label=quarter_label(plan_year, quarter),
        produced=f"{dt.datetime.now():%d %B %Y %H:%M}".lstrip("0"),
        version=__version__,
        partnerships=[_partnership_link(p, folder) for p in partnerships],
        outside=[
            outside_sentence(c, e) for c in compared for e in c.compared if e.flag != funnel.WITHIN
        ],
        measures=[measure_section(c) for c in compared],
        not_compared=[_not_compared(c) for c in comparisons if c.pooled_ratio is None],
        rates=any(_pooled_rates(c.compared) for c in compared),
    )


def _not_compared(comparison: Comparison) -> dict[str, object]:
    """A measure not compared, with each partnership's reason unless all share one."""
    reasons = {e.reason for e in comparison.entries}
    shared = len(reasons) == 1 or reasons == {comparison.reason}
    entries = [
        {"name": e.partnership.name, "reason": e.reason or "has counts"}
        for e in comparison.entries
        if not shared
    ]
    return {
        "id": comparison.id,
        "title": comparison.title,
        "reason": comparison.reason,
        "entries": entries,
    }


def _partnership_link(partnership: Partnership, folder: Path) -> dict[str, str]:
    """A partnership's name and the relative link to its dashboard (none without a report):
    the page is three folders down the reports folder (peers/<year>/Q<n>), as the report is."""
    dashboard = partnership.report / "dashboard.html"
    root = folder.parents[2]
    link = (
        "../../../" + quote(dashboard.relative_to(root).as_posix()) if dashboard.is_file() else ""
    )
    return {
        "name": partnership.name,
        "partnership": partnership.plan.partnership,
        "link": link,
        "missing": partnership.missing,
    }


def outside_sentence(comparison: Comparison, entry: Entry) -> str:
    """'Hartlepool is above the 99.8% limit for P2 ...: 653 incidents against 516 ...'."""
    counts = entry.counts
    unit = f" {comparison.unit}" if comparison.unit else ""
    return (
        f"{entry.partnership.name} is {FLAG_WORDS[entry.flag]} for {comparison.id} "
        f"{comparison.title}: {counts.actual:,.0f}{unit} in {entry.months} against "
        f"{counts.baseline:,.0f} in the same months of {entry.partnership.baseline_year}, "
        f"a ratio of {_ratio_text(entry.ratio)} against {_ratio_text(comparison.pooled_ratio)} "
        f"for the {len(comparison.compared)} partnerships together."
    )


def measure_section(comparison: Comparison) -> dict[str, object]:
    """A measure's funnel chart, its text alternative and its table."""
    compared = comparison.compared
    figure = funnels.funnel_chart(
        [
            funnels.FunnelPoint(e.partnership.name, e.counts.baseline, e.ratio, _side(e.flag))
            for e in compared
            if math.isfinite(e.ratio)  # none in the baseline: in the table, off the chart
        ],
        comparison.pooled_ratio,
        *_curves(compared, comparison.pooled_ratio),
        title=f"{comparison.id} {comparison.title}",
        x_label=f"baseline count{f' ({comparison.unit})' if comparison.unit else ''}",
    )
    return {
        "id": comparison.id,
        "title": comparison.title,
        "slug": f"measure-{quote(comparison.id, safe='')}",
        "chart_uri": png_data_uri(figure),
        "alt": _alt_text(comparison),
        "pooled": _ratio_text(comparison.pooled_ratio),
        "rows": [_table_row(e) for e in compared],
        "rates": _pooled_rates(compared),
        "left_out": [{"name": e.partnership.name, "reason": e.reason} for e in comparison.left_out],
    }


def _curves(compared: list[Entry], pooled_ratio: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The limits drawn from a quarter of the smallest baseline to past the largest."""
    baselines = [e.counts.baseline for e in compared]
    low = max(min(baselines) / 4, 1.0)
    grid = np.geomspace(low, max(max(baselines) * 1.1, low * 2), CURVE_POINTS)
    return grid, funnel.funnel_curves(grid, pooled_ratio / (1 + pooled_ratio))


def _side(flag: str) -> int:
    """+1 above a limit, -1 below one, 0 within: the point's marker on the chart."""
    if flag in (funnel.ABOVE_95, funnel.ABOVE_998):
        return 1
    return -1 if flag in (funnel.BELOW_95, funnel.BELOW_998) else 0


def _table_row(entry: Entry) -> dict[str, str]:
    counts, limits = entry.counts, entry.limits
    return {
        "name": entry.partnership.name,
        "months": entry.months,
        "actual": f"{counts.actual:,.0f}",
        "baseline": f"{counts.baseline:,.0f}",
        "ratio": _ratio_text(entry.ratio),
        "limits_95": f"{_ratio_text(limits['lower_95'])} to {_ratio_text(limits['upper_95'])}",
        "limits_998": f"{_ratio_text(limits['lower_99_8'])} to {_ratio_text(limits['upper_99_8'])}",
        "flag": entry.flag,
        "rate": _rate_text(counts.actual, counts.residents),
        "baseline_rate": _rate_text(counts.baseline, counts.residents),
        "residents": f"{counts.residents:,.0f}" if counts.residents else "",
    }


def _rate_text(count: float, residents: float | None) -> str:
    """A count per 1,000 residents, for a rate measure ('' for a count)."""
    return f"{per_residents(count, residents):,.2f}" if residents else ""


def _pooled_rates(compared: list[Entry]) -> dict[str, str] | None:
    """All the partnerships' counts per 1,000 of all their residents, this year and in the
    baseline; None unless every partnership compared states its residents (a rate measure)."""
    if not all(e.counts.residents for e in compared):
        return None
    residents = sum(e.counts.residents for e in compared)
    return {
        "actual": _rate_text(sum(e.counts.actual for e in compared), residents),
        "baseline": _rate_text(sum(e.counts.baseline for e in compared), residents),
    }


def _alt_text(comparison: Comparison) -> str:
    points = "; ".join(
        f"{e.partnership.name} {_ratio_text(e.ratio)} on a baseline of "
        f"{e.counts.baseline:,.0f}, {e.flag}"
        for e in comparison.compared
    )
    return (
        f"Funnel plot of {comparison.id} {comparison.title}: each partnership's ratio of this year "
        f"to date to the same months of its baseline year, against its baseline count, around the "
        f"pooled ratio {_ratio_text(comparison.pooled_ratio)}, with 95% and 99.8% limits. {points}."
    )


def _ratio_text(ratio: float | None) -> str:
    """Two decimals; infinite where the baseline (or the rest of a limit's total) is none."""
    if ratio is None or math.isnan(ratio):
        return "–"
    return "∞" if math.isinf(ratio) else f"{ratio:.2f}"
