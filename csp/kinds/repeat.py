"""repeat: subjects (callers, victims, offenders) reaching `min_records` records within the year,
counted in the month of the record that makes them a repeat, so months add up to the year to date."""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csp.kinds.base import KindOptions
from csp.kinds.count import Count
from csp.records import DATE, MONTH, ROW, SOURCE


class RepeatOptions(KindOptions):
    subject: str  # whose records repeat: a column of the extracts
    min_records: int = Field(default=1, ge=1)


class Repeat(Count):
    name = "repeat"
    Options = RepeatOptions
    column_options = ("subject",)
    counts_within_year = True

    def columns(self, options: RepeatOptions) -> tuple[str, ...]:
        return (options.subject,)

    def monthly(self, in_year: pd.DataFrame, options: RepeatOptions) -> tuple[pd.Series, None]:
        return repeat_increments(in_year, options.subject, options.min_records), None


def repeat_increments(records: pd.DataFrame, subject: str, min_records: int) -> pd.Series:
    """For each month, the subjects whose `min_records`-th record of the year falls in it."""
    ids = records[subject]
    with_subject = records[ids.notna() & (ids.astype(str).str.len() > 0)]
    ordered = with_subject.sort_values([DATE, SOURCE, ROW], kind="stable")
    nth = ordered.groupby(subject, sort=False).cumcount() + 1
    return ordered.loc[nth == min_records, MONTH].value_counts()
