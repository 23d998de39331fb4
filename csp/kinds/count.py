"""count: records matching the measure's filter, by the month they are dated."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from csp.kinds.base import (
    Comparison,
    EventCounts,
    Judged,
    MeasureKind,
    Projection,
    count_by_month,
    count_codes,
    count_projection,
    poisson_test,
)


class Count(MeasureKind):
    """Records matching the metric's filters, summed over the months: crimes, incidents, calls."""

    name = "count"

    def monthly(self, in_year: pd.DataFrame, options: Any) -> tuple[pd.Series, None]:
        return count_by_month(in_year), None

    def month_counts(
        self, records: pd.DataFrame, codes: np.ndarray, months: int, options: Any
    ) -> tuple[np.ndarray, None] | None:
        return count_codes(codes, months), None

    def test(
        self, comparison: Comparison, target: float, judged: Judged, options: Any
    ) -> tuple[float | None, str]:
        return poisson_test(comparison.actual, target, judged)

    def event_counts(self, actual: float, baseline: float, options: Any) -> EventCounts:
        return EventCounts(actual=actual, baseline=baseline)

    def project(
        self, comparison: Comparison, elapsed_share: float, level: float, options: Any
    ) -> Projection:
        return count_projection(comparison.actual, elapsed_share, level)
