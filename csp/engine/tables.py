"""The tables the measure step writes from its results: statuses.csv (before comments),
breakdowns.csv and control_charts.csv."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from csp.domain.periods import PlanYear
from csp.engine.results import QuarterResult
from csp.plan import Plan

CHART_COLUMNS = ["measure_id", "month", "value", "mean", "lpl", "upl", "target", "point_type"]


def results_table(results: list[QuarterResult], plan: Plan, year: PlanYear) -> pd.DataFrame:
    """statuses.csv without comments: one row per measure per quarter."""
    return pd.DataFrame([_result_row(r, plan, year) for r in results])


def _result_row(r: QuarterResult, plan: Plan, year: PlanYear) -> dict[str, object]:
    ytd = r.ytd
    return {
        "plan": plan.name,
        "year": str(year),
        "measure_id": r.measure.id,
        "theme": r.measure.theme,
        "measure": r.measure.title,
        "direction": r.measure.direction,
        "quarter": f"Q{r.quarter}",
        "status": r.status,
        "actual": ytd.actual if ytd else math.nan,
        "target": _number(r.target),
        "baseline": ytd.baseline if ytd else math.nan,
        "numerator": _number(ytd.numerator if ytd else None),
        "denominator": _number(ytd.denominator if ytd else None),
        "unit": r.measure.metric.unit,
        "months": f"{r.months[0]} to {r.months[-1]}" if r.months else "",
        "first_month": r.months[0] if r.months else "",
        "last_month": r.months[-1] if r.months else "",
        "data_to": r.data_to or "",
        "projection": _number(r.projection),
        "projection_low": _number(r.projection_low),
        "projection_high": _number(r.projection_high),
        "p_value": _number(r.p_value),
        "significance": r.significance,
        "variation": r.variation,
        "assurance": r.assurance,
        "spc_summary": r.spc_summary,
        "reason": r.reason,
    }


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def breakdown_table(results: list[QuarterResult]) -> pd.DataFrame:
    """breakdowns.csv: per measure, quarter and item (ward, street), YTD against the baseline."""
    rows = [
        {
            "measure_id": r.measure.id,
            "quarter": f"Q{r.quarter}",
            "item": item,
            "actual": c.actual,
            "baseline": c.baseline,
            "change": c.actual - c.baseline,
        }
        for r in results
        for item, c in r.breakdown
    ]
    return pd.DataFrame(
        rows, columns=["measure_id", "quarter", "item", "actual", "baseline", "change"]
    )


def chart_table(results: list[QuarterResult], quarter: int) -> pd.DataFrame:
    """control_charts.csv: the control chart each measure was judged with in the run's quarter,
    so the report draws it and recomputes nothing."""
    charts = [(r.measure.id, r.control) for r in results if r.quarter == quarter and r.control]
    if not charts:
        return pd.DataFrame(columns=CHART_COLUMNS)
    table = {
        "measure_id": [m for m, chart in charts for _ in chart.months],
        "month": [month for _, chart in charts for month in chart.months],
    }
    for name in CHART_COLUMNS[2:]:
        table[name] = np.concatenate([chart.columns[name] for _, chart in charts])
    return pd.DataFrame(table, columns=CHART_COLUMNS)
