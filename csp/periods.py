"""Financial years and quarters: the UK public-sector year runs April to March, Q1 is April to June."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from csp.parameters import year_start

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAME = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A financial year such as 2011-12, starting in April of its first calendar year."""

    start: int

    @classmethod
    def parse(cls, text: str | int) -> FinancialYear:
        """Read '2011-12'; a bare int is refused because 2011 could mean 2010-11 or 2011-12."""
        return cls(year_start(text))

    def __str__(self) -> str:
        return f"{self.start}-{(self.start + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """2011/12, as the field writes a plan year."""
        return f"{self.start}/{(self.start + 1) % 100:02d}"

    @property
    def previous(self) -> FinancialYear:
        return FinancialYear(self.start - 1)

    @cached_property
    def months(self) -> tuple[pd.Period, ...]:
        """The twelve months, April first."""
        first = pd.Period(f"{self.start}-04", freq="M")
        return tuple(first + i for i in range(12))

    def quarter_months(self, quarter: int) -> tuple[pd.Period, ...]:
        """The three months of one quarter."""
        check_quarter(quarter)
        return self.months[(quarter - 1) * 3 : quarter * 3]

    def ytd_months(self, quarter: int) -> tuple[pd.Period, ...]:
        """April to the end of the quarter: the months a status is judged on."""
        check_quarter(quarter)
        return self.months[: quarter * 3]


def check_quarter(quarter: int) -> int:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter {quarter!r} is not 1, 2, 3 or 4")
    return quarter


def financial_quarter(month: pd.Period) -> int:
    """Q1 is April to June, Q4 January to March."""
    return (month.month - 4) % 12 // 3 + 1


def month_abbr(month: pd.Period) -> str:
    return MONTH_ABBR[month.month - 1]


def month_span(months: tuple[pd.Period, ...] | list[pd.Period]) -> str:
    """'Apr-Sep 2011' style label for a run of months."""
    if not months:
        return ""
    first, last = months[0], months[-1]
    if first == last:
        return f"{month_abbr(first)} {first.year}"
    if first.year == last.year:
        return f"{month_abbr(first)}-{month_abbr(last)} {last.year}"
    return f"{month_abbr(first)} {first.year}-{month_abbr(last)} {last.year}"


def quarter_end_label(year: FinancialYear, quarter: int) -> str:
    """'September 2011' for 2011-12 Q2: how a board paper says 'as at'."""
    last = year.quarter_months(quarter)[-1]
    return f"{MONTH_NAME[last.month - 1]} {last.year}"


def month_label(month: str) -> str:
    """'2011-08' -> 'Aug 2011'."""
    period = pd.Period(month, freq="M")
    return f"{month_abbr(period)} {period.year}"


def month_name(month: str) -> str:
    """'2011-06' -> 'June 2011', as a sentence says it."""
    period = pd.Period(month, freq="M")
    return f"{MONTH_NAME[period.month - 1]} {period.year}"
