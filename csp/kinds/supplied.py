"""supplied: a figure a partner supplies already aggregated (a survey result), at the month it
refers to; the latest figure of the year to date is judged, with no test (there are no records)."""

from __future__ import annotations

import math

import pandas as pd

from csp.domain.records import DATE, MONTH, ROW
from csp.kinds.base import KindOptions, MeasureKind


class SuppliedOptions(KindOptions):
    value: str
    """The column holding the figure a partner supplies already aggregated."""
    base: str | None = None
    """The column holding what it is out of (respondents), if any."""


class Supplied(MeasureKind):
    """A figure a partner supplies already aggregated (a survey result), as a level, not a sum of months."""

    name = "supplied"
    Options = SuppliedOptions
    column_options = ("value", "base")
    sums_months = False
    level = True
    zero_when_no_records = False
    order_columns = (DATE, ROW)

    def columns(self, options: SuppliedOptions) -> tuple[str, ...]:
        return (options.value, options.base) if options.base else (options.value,)

    def monthly(
        self, in_year: pd.DataFrame, options: SuppliedOptions
    ) -> tuple[pd.Series, pd.Series | None]:
        latest = in_year.sort_values([DATE, ROW], kind="stable").groupby(MONTH).last()
        if not len(latest):
            return pd.Series(dtype=float), None
        value = pd.to_numeric(latest[options.value], errors="coerce")
        base = pd.to_numeric(latest[options.base], errors="coerce") if options.base else None
        return value, base

    def format(self, value: float | None) -> str:
        if value is None or math.isnan(value):
            return "–"
        return f"{value:,.1f}"
