"""repeat: subjects (callers, victims, offenders) reaching `min_records` records within the year,
counted in the month of the record that makes them a repeat, so months add up to the year to date."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from csp.domain.records import DATE, MONTH, ROW, SOURCE
from csp.kinds.base import KindOptions, count_months
from csp.kinds.count import Count


class RepeatOptions(KindOptions):
    subject: str
    """Whose records repeat: a column of the extracts (`caller_id`)."""
    min_records: int = Field(default=1, ge=1)
    """A subject counts with at least this many records in the period."""


class Repeat(Count):
    """Subjects (callers, victims, perpetrators) with at least `min_records` records in the period."""

    name = "repeat"
    Options = RepeatOptions
    column_options = ("subject",)
    counts_within_year = True
    order_columns = (DATE, SOURCE, ROW)

    def columns(self, options: RepeatOptions) -> tuple[str, ...]:
        return (options.subject,)

    def month_counts(
        self, records: pd.DataFrame, codes: np.ndarray, months: int, options: RepeatOptions
    ) -> None:
        """A count, but of subjects within each year: `monthly` counts a year at a time."""
        return None

    def monthly(self, in_year: pd.DataFrame, options: RepeatOptions) -> tuple[pd.Series, None]:
        return repeat_increments(in_year, options.subject, options.min_records), None


def repeat_increments(records: pd.DataFrame, subject: str, min_records: int) -> pd.Series:
    """For each month, the subjects whose `min_records`-th record of the year falls in it.

    Records are ordered by date, source and row (a stable sort, as `sort_values` would) and each
    subject's records counted on integer codes: the records' text is never sorted or grouped."""
    subjects, named = pd.factorize(records[subject])
    blank = pd.Series(named).astype(str).str.len().to_numpy() == 0  # '' is no subject
    with_subject = np.flatnonzero((subjects >= 0) & ~np.r_[blank, True][subjects])
    order = with_subject[np.lexsort(_sort_keys(records, with_subject))]
    nth = order[_nth_of_each(subjects[order], min_records)]
    return count_months(records[MONTH].iloc[nth])


def _sort_keys(records: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """np.lexsort keys (last one first) for date, source, row; no date sorts last."""
    dates = records[DATE].to_numpy(dtype="datetime64[ns]")[rows]
    days = np.where(np.isnat(dates), np.iinfo(np.int64).max, dates.view(np.int64))
    sources = pd.factorize(records[SOURCE], sort=True)[0][rows]
    return records[ROW].to_numpy()[rows], sources, days


def _nth_of_each(subjects: np.ndarray, n: int) -> np.ndarray:
    """Positions where a subject appears for the n-th time (subjects as codes, in record order)."""
    by_subject = np.argsort(subjects, kind="stable")
    grouped = subjects[by_subject]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    counts = np.diff(np.r_[starts, grouped.size])
    return np.sort(by_subject[starts[counts >= n] + n - 1])
