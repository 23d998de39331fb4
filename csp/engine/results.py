"""What is decided about one measure in one quarter (`QuarterResult`), with the control chart it was
judged with, and the month-by-month arrays of each series the judgement reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csp.domain.periods import PlanYear
from csp.domain.statuses import NO_DATA
from csp.kinds import Comparison, Span
from csp.plan import Measure
from csp.stats import spc


@dataclass
class QuarterResult:
    """Everything decided about one measure in one quarter; comments and the report read this."""

    measure: Measure
    quarter: int
    status: str
    reason: str = ""
    year: str = ""
    baseline_year: str = ""
    months: tuple[str, ...] = ()
    data_to: str | None = None
    ytd: Comparison | None = None
    target: float | None = None
    annual_baseline: float | None = None
    projection: float | None = None
    elapsed_share: float | None = None
    quarter_only: Comparison | None = None
    context: dict[str, Comparison | None] = field(default_factory=dict)
    breakdown: list[tuple[str, Comparison]] = field(default_factory=list)
    rest: dict[str, int] = field(default_factory=dict)
    p_value: float | None = None
    significance: str = ""
    projection_low: float | None = None
    projection_high: float | None = None
    variation: str = ""
    assurance: str = ""
    spc_summary: str = ""
    control: ControlChart | None = None

    @property
    def has_data(self) -> bool:
        return self.status != NO_DATA

    @property
    def chart(self) -> pd.DataFrame | None:
        """The control chart as `spc.xmr` gives it, indexed by month."""
        return None if self.control is None else self.control.frame()


@dataclass(frozen=True)
class ControlChart:
    """An XmR chart's columns (`spc.xmr_columns`) and the month of each point: judging every
    measure in every quarter needs only arrays; a frame is made for the charts written out."""

    months: list[str]
    columns: dict[str, np.ndarray]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns, columns=list(spc.COLUMNS), index=self.months)


class MonthArrays:
    """One series of a measure (main, context, a breakdown item), month by month for each year:
    value, denominator and whether the month is covered by the extracts."""

    def __init__(self) -> None:
        self.value: dict[str, np.ndarray] = {}
        self.denominator: dict[str, np.ndarray] = {}
        self.covered: dict[str, np.ndarray] = {}

    def covered_positions(self, year: PlanYear) -> set[int]:
        flags = self.covered.get(str(year))
        return set() if flags is None else {int(i) for i in np.flatnonzero(flags)}

    def span(self, year: PlanYear, positions: list[int], latest: bool) -> Span:
        empty = np.full(12, np.nan)
        return Span(
            values=self.value.get(str(year), empty)[positions],
            denominators=self.denominator.get(str(year), empty)[positions],
            latest=latest,
        )

    def total(self, year: PlanYear, positions: list[int]) -> float:
        return self.span(year, positions, latest=False).total()


def series_of(values: pd.DataFrame) -> dict[tuple[str, str, str], MonthArrays]:
    """Every (measure, series, item) of the measure values table, in the table's order, each
    year's twelve months in month order."""
    keys = ["measure_id", "series", "item"]
    code = values.groupby(keys, sort=False).ngroup().to_numpy()
    order = np.lexsort((values["month"].to_numpy(), values["year"].to_numpy(), code))
    table = values.iloc[order]
    value = table["value"].to_numpy(dtype=float)
    denominator = table["denominator"].to_numpy(dtype=float)
    covered = table["covered"].astype(str).isin(["True", "true", "1"]).to_numpy()
    labels = table[[*keys, "year"]].to_numpy()
    starts = np.flatnonzero(
        np.r_[True, (labels[1:] != labels[:-1]).any(axis=1)] if len(labels) else []
    )
    series: dict[tuple[str, str, str], MonthArrays] = {}
    for start, end in zip(starts, [*starts[1:], len(labels)], strict=True):
        measure_id, name, item, year = labels[start]
        arrays = series.setdefault((measure_id, name, item), MonthArrays())
        arrays.value[year] = value[start:end]
        arrays.denominator[year] = denominator[start:end]
        arrays.covered[year] = covered[start:end]
    return series
