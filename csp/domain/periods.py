"""A plan's years and quarters. The UK public-sector year runs April to March (Q1 is April to June),
and is the default; a plan with `year_start: january` has calendar years (Q1 is January to March).

Every year is twelve months from its start month: `months`, `quarter_months(q)`, `previous`, `label`
and `str()` (the folder and parameter form, 2011-12 or 2025) mean the same for both, so the engine
never asks which kind of year it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import pandas as pd

from csp.domain.parameters import DEFAULT_YEAR_START, YEAR_STARTS, parse_year, year_text

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
class PlanYear:
    """Twelve months from the start month of the calendar year `start`; one subclass per start."""

    start: int
    year_start: ClassVar[str] = DEFAULT_YEAR_START  # the plan's spelling: april, january

    @classmethod
    def parse(cls, text: str | int) -> PlanYear:
        """The year as a plan, a folder or the command line writes it."""
        return cls(parse_year(text, cls.year_start))

    @property
    def start_month(self) -> int:
        return YEAR_STARTS[self.year_start]

    def __str__(self) -> str:
        return year_text(self.start, self.year_start)

    @property
    def label(self) -> str:
        """How a board paper writes the year: 2011/12, or 2025."""
        return str(self).replace("-", "/")

    @property
    def previous(self) -> PlanYear:
        return type(self)(self.start - 1)

    @cached_property
    def months(self) -> tuple[pd.Period, ...]:
        """The twelve months, the start month first."""
        first = pd.Period(f"{self.start}-{self.start_month:02d}", freq="M")
        return tuple(first + i for i in range(12))

    def quarter_months(self, quarter: int) -> tuple[pd.Period, ...]:
        """The three months of one quarter."""
        check_quarter(quarter)
        return self.months[(quarter - 1) * 3 : quarter * 3]

    def ytd_months(self, quarter: int) -> tuple[pd.Period, ...]:
        """The start month to the end of the quarter: the months a status is judged on."""
        check_quarter(quarter)
        return self.months[: quarter * 3]

    def quarter_of(self, month: pd.Period) -> int:
        """The quarter of this kind of year a month falls in (whichever year it is in)."""
        return (month.month - self.start_month) % 12 // 3 + 1


class FinancialYear(PlanYear):
    """A financial year such as 2011-12, starting in April of its first calendar year."""

    year_start = "april"

    @classmethod
    def parse(cls, text: str | int) -> FinancialYear:
        """Read '2011-12'; a bare int is refused because 2011 could mean 2010-11 or 2011-12."""
        return cls(parse_year(text, cls.year_start))


class CalendarYear(PlanYear):
    """A calendar year such as 2025, January to December: `year_start: january` in a plan."""

    year_start = "january"

    @classmethod
    def parse(cls, text: str | int) -> CalendarYear:
        """Read '2025' or 2025."""
        return cls(parse_year(text, cls.year_start))


YEAR_KINDS: dict[str, type[PlanYear]] = {
    kind.year_start: kind for kind in (FinancialYear, CalendarYear)
}


def plan_year(text: str | int, start: str = DEFAULT_YEAR_START) -> PlanYear:
    """A year of a plan whose years start as `start` says (its `year_start`)."""
    return YEAR_KINDS[start].parse(text)


def year_of_folder(text: str) -> PlanYear:
    """A year from its folder name, whose form says its kind: 2011-12 (financial) or 2025."""
    try:
        return CalendarYear.parse(text)
    except ValueError:
        return FinancialYear.parse(text)


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


def quarter_end_label(year: PlanYear, quarter: int) -> str:
    """'September 2011' for 2011-12 Q2: how a board paper says 'as at'."""
    last = year.quarter_months(quarter)[-1]
    return f"{MONTH_NAME[last.month - 1]} {last.year}"


def quarter_label(year: PlanYear, quarter: int) -> str:
    """'Q1 (January to March 2025)': a quarter with its months, whatever month the year starts in."""
    first, last = year.quarter_months(quarter)[0], year.quarter_months(quarter)[-1]
    start = MONTH_NAME[first.month - 1] + ("" if first.year == last.year else f" {first.year}")
    return f"Q{quarter} ({start} to {MONTH_NAME[last.month - 1]} {last.year})"


def month_label(month: str) -> str:
    """'2011-08' -> 'Aug 2011'."""
    period = pd.Period(month, freq="M")
    return f"{month_abbr(period)} {period.year}"


def month_name(month: str) -> str:
    """'2011-06' -> 'June 2011', as a sentence says it."""
    period = pd.Period(month, freq="M")
    return f"{MONTH_NAME[period.month - 1]} {period.year}"
