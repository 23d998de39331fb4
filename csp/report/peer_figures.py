"""The figures of a peer comparison: each plan's finished report read (statuses.csv, and its plan,
whose measure kinds say which figures are counts), each measure compared across the partnerships on
its funnel (`csp.stats.funnel`), and peers.csv's rows. A percentage or a supplied level, a measure
the plans title differently, and a partnership with no data for the measure are not compared, with
the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from csp import config
from csp.domain.periods import month_label, year_of_folder
from csp.domain.statuses import NO_DATA
from csp.errors import PeersError
from csp.kinds import EventCounts
from csp.plan import Measure, Plan, load_plan
from csp.report import index
from csp.spreadsheet import neutralised
from csp.stats import funnel
from csp.store import processed

NOT_COMPARED = index.PEERS_NOT_COMPARED
STATUS_COLUMNS = ("measure_id", "quarter", "status", "actual", "baseline", "reason")
CSV_COLUMNS = (
    *("plan", "measure_id", "actual", "baseline", "ratio", *funnel.LIMITS, "flag"),
    *("measure", "months", "pooled_ratio", "residents", "rate_per_1000", "baseline_rate_per_1000"),
    "reason",
)
FLAG_WORDS = {
    funnel.ABOVE_998: "above the 99.8% limit",
    funnel.ABOVE_95: "above the 95% limit (within the 99.8% limit)",
    funnel.BELOW_95: "below the 95% limit (within the 99.8% limit)",
    funnel.BELOW_998: "below the 99.8% limit",
    funnel.WITHIN: "within the 95% limits",
}
RESIDENTS_PER = 1000  # rates are shown per 1,000 residents, whatever base a plan judges them on
ANNUAL_BASELINE = "its baseline is an annual figure shared out, not a count of the same months"


@dataclass(frozen=True)
class Partnership:
    """One plan in the comparison, with its report's rows for the quarter by measure."""

    plan: Plan
    name: str  # as the page names it: the plan's area, else its partnership
    report: Path
    baseline_year: str
    rows: dict[str, pd.Series] = field(default_factory=dict)
    missing: str = ""  # why it has no report ('' when it has)


@dataclass(frozen=True)
class Entry:
    """One partnership's figures for one measure, and where they stand in its funnel."""

    partnership: Partnership
    counts: EventCounts | None = None
    months: str = ""
    reason: str = ""  # why it is not in the funnel ('' when it is)
    ratio: float = math.nan
    limits: dict[str, float] = field(default_factory=dict)
    flag: str = NOT_COMPARED


@dataclass(frozen=True)
class Comparison:
    """One measure across the partnerships: its funnel, or why there is none."""

    id: str
    title: str
    unit: str
    entries: tuple[Entry, ...]
    pooled_ratio: float | None = None
    reason: str = ""  # why the measure is not compared ('' when it is)

    @property
    def compared(self) -> list[Entry]:
        return [e for e in self.entries if e.flag != NOT_COMPARED]

    @property
    def left_out(self) -> list[Entry]:
        return [e for e in self.entries if e.flag == NOT_COMPARED]


# --- reading the reports --------------------------------------------------------------------------


def read_partnerships(
    plans: Sequence[str], year: str, quarter: int, root: Path
) -> list[Partnership]:
    """Each plan with its report's rows; at least two must have a report to compare."""
    if not plans:
        raise PeersError("no plans to compare")
    loaded = [load_plan(name) for name in dict.fromkeys(plans)]
    names = [plan.area or plan.partnership for plan in loaded]
    partnerships = [
        read_partnership(plan, name if names.count(name) == 1 else plan.name, year, quarter, root)
        for plan, name in zip(loaded, names, strict=True)
    ]
    if sum(not p.missing for p in partnerships) < 2:
        missing = "; ".join(f"{p.plan.name}: {p.missing}" for p in partnerships if p.missing)
        raise PeersError(
            f"a comparison needs the {year} Q{quarter} reports of two plans or more "
            f"({missing}): run them first (csp run)"
        )
    return partnerships


def read_partnership(plan: Plan, name: str, year: str, quarter: int, root: Path) -> Partnership:
    """A plan and its report's rows for the quarter (the report's statuses.csv, as readers get it)."""
    folder = processed.run_dir(root, plan.name, year, quarter)
    baseline_year = str(plan.baseline_for(year_of_folder(year)))
    path = folder / "statuses.csv"
    if not path.is_file():
        missing = f"no report of {year} Q{quarter} ({config.shown(path)} not found)"
        return Partnership(plan, name, folder, baseline_year, missing=missing)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    absent = [c for c in STATUS_COLUMNS if c not in table.columns]
    if absent:
        raise PeersError(f"{config.shown(path)}: no column {', '.join(absent)}")
    current = table[table["quarter"] == f"Q{quarter}"]
    rows = {row["measure_id"]: row for _, row in current.iterrows()}
    return Partnership(plan, name, folder, baseline_year, rows=rows)


def measure_ids(partnerships: list[Partnership]) -> list[str]:
    """Every measure of the plans, in the first plan's order, then those only later plans have."""
    return list(dict.fromkeys(m.id for p in partnerships for m in p.plan.measures))


# --- comparing one measure ------------------------------------------------------------------------


def compare_measure(measure_id: str, partnerships: list[Partnership]) -> Comparison:
    """One measure's funnel: the partnerships with counts for it, pooled; the others with why not."""
    measures = {p.plan.name: _measure(p.plan, measure_id) for p in partnerships}
    having = [m for m in measures.values() if m is not None]
    first = having[0]
    unpooled = _mismatch(measure_id, partnerships, measures) or _no_counts(first)
    entries = [
        Entry(p, reason=unpooled) if unpooled else entry_for(p, measures[p.plan.name])
        for p in partnerships
    ]
    comparison = Comparison(measure_id, first.title, first.metric.unit, tuple(entries))
    return replace(comparison, reason=unpooled) if unpooled else judged(comparison)


def _measure(plan: Plan, measure_id: str) -> Measure | None:
    return next((m for m in plan.measures if m.id == measure_id), None)


def _mismatch(
    measure_id: str, partnerships: list[Partnership], measures: dict[str, Measure | None]
) -> str:
    """Why one number cannot be pooled: the plans title it, or count it, differently."""
    having = [(p.name, m) for p in partnerships if (m := measures[p.plan.name]) is not None]
    titles = dict.fromkeys(m.title for _, m in having)
    kinds = dict.fromkeys(m.metric.kind.name for _, m in having)
    if len(titles) > 1:
        named = "; ".join(f"{name}: '{m.title}'" for name, m in having)
        return f"the plans title {measure_id} differently ({named}), so it is not pooled"
    if len(kinds) > 1:
        named = "; ".join(f"{name}: {m.metric.kind.name}" for name, m in having)
        return f"the plans measure {measure_id} differently ({named}), so it is not pooled"
    return ""


def _no_counts(measure: Measure) -> str:
    """Why a kind's figures are no counts of events ('' for counts and rates): asked of the kind,
    which answers None for any figures of a percentage or a level."""
    kind = measure.metric.kind
    if kind.event_counts(0.0, 0.0, measure.metric.options) is None:
        return f"a {kind.name} is not a count of events"
    return ""


def entry_for(partnership: Partnership, measure: Measure | None) -> Entry:
    """A partnership's counts for the measure, or why it has none to compare."""
    if measure is None:
        return Entry(partnership, reason="not in its plan")
    if partnership.missing:
        return Entry(partnership, reason=partnership.missing)
    row = partnership.rows.get(measure.id)
    if row is None:
        return Entry(partnership, reason=f"no {measure.id} row in its statuses.csv")
    months = months_text(row.get("first_month", ""), row.get("last_month", ""))
    if row["status"] == NO_DATA:
        return Entry(partnership, months=months, reason=f"no data: {row['reason']}")
    if measure.annual_baseline is not None:
        return Entry(partnership, months=months, reason=ANNUAL_BASELINE)
    kind, options = measure.metric.kind, measure.metric.options
    counts = kind.event_counts(_number(row["actual"]), _number(row["baseline"]), options)
    whole = _whole(counts)
    if whole is None:
        return Entry(partnership, counts, months, reason="its figures are not whole counts")
    if whole.actual + whole.baseline == 0:
        return Entry(partnership, whole, months, reason="none in either year")
    return Entry(partnership, whole, months)


def _number(text: object) -> float:
    value = pd.to_numeric(str(text).strip() or "nan", errors="coerce")
    return float(value)


def _whole(counts: EventCounts | None) -> EventCounts | None:
    """The counts as whole numbers (a rate's, scaled back, carry rounding noise), or None."""
    if counts is None:
        return None
    values = np.array([counts.actual, counts.baseline])
    rounded = np.rint(values)
    if not np.all(np.isfinite(values)) or np.any(np.abs(values - rounded) > 1e-6):
        return None
    if np.any(rounded < 0):
        return None
    return replace(counts, actual=float(rounded[0]), baseline=float(rounded[1]))


def judged(comparison: Comparison) -> Comparison:
    """Pool the partnerships with counts, and place each against its limits."""
    inside = [e for e in comparison.entries if not e.reason]
    if len(inside) < 2:
        return replace(comparison, reason=_too_few(comparison.entries))
    actual = np.array([e.counts.actual for e in inside])
    baseline = np.array([e.counts.baseline for e in inside])
    if baseline.sum() == 0:
        return replace(comparison, reason="no partnership had any in the baseline months")
    p0 = funnel.pooled_share(actual, baseline)
    totals = actual + baseline
    counts = funnel.limit_counts(totals, p0)
    ratios = {name: funnel.as_ratio(count, totals) for name, count in counts.items()}
    placed = {}
    for i, entry in enumerate(inside):
        placed[id(entry)] = replace(
            entry,
            ratio=funnel.as_ratio(actual[i], totals[i]).item(),
            limits={name: float(ratio[i]) for name, ratio in ratios.items()},
            flag=funnel.flag(actual[i], {name: count[i] for name, count in counts.items()}),
        )
    entries = tuple(placed.get(id(e), e) for e in comparison.entries)
    return replace(comparison, entries=entries, pooled_ratio=actual.sum() / baseline.sum())


def _too_few(entries: tuple[Entry, ...]) -> str:
    """Why fewer than two partnerships are in the funnel: their one reason, if they share it."""
    reasons = dict.fromkeys(e.reason for e in entries if e.reason)
    if len(reasons) == 1 and all(e.reason for e in entries):
        return f"for every partnership, {next(iter(reasons))}"
    return "fewer than two partnerships have counts to compare"


# --- peers.csv --------------------------------------------------------------------------------------


def peers_table(comparisons: list[Comparison]) -> pd.DataFrame:
    """One row per plan and measure; text cells a spreadsheet would run as formulas made text."""
    rows = [_csv_row(c, e) for c in comparisons for e in c.entries]
    table = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    for column in ("plan", "measure_id", "measure", "months", "reason"):
        table[column] = table[column].astype(str).map(neutralised)
    return table


def _csv_row(comparison: Comparison, entry: Entry) -> dict[str, object]:
    counts = entry.counts
    residents = counts.residents if counts else None
    return {
        "plan": entry.partnership.plan.name,
        "measure_id": comparison.id,
        "actual": counts.actual if counts else None,
        "baseline": counts.baseline if counts else None,
        "ratio": None if math.isnan(entry.ratio) else entry.ratio,
        **{name: entry.limits.get(name) for name in funnel.LIMITS},
        "flag": entry.flag,
        "measure": comparison.title,
        "months": entry.months,
        "pooled_ratio": comparison.pooled_ratio,
        "residents": residents,
        "rate_per_1000": per_residents(counts.actual, residents) if residents else None,
        "baseline_rate_per_1000": per_residents(counts.baseline, residents) if residents else None,
        "reason": entry.reason or (comparison.reason if entry.flag == NOT_COMPARED else ""),
    }


def per_residents(count: float, residents: float) -> float:
    return count * RESIDENTS_PER / residents


def months_text(first: str, last: str) -> str:
    if not first:
        return ""
    return month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"
