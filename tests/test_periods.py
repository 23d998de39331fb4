"""Years and quarters: April-to-March financial years (Q1 = April to June), as the board reads them,
and the calendar years of a plan with `year_start: january` (Q1 = January to March)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from csp.domain.parameters import parse_quarter
from csp.domain.periods import (
    CalendarYear,
    FinancialYear,
    financial_quarter,
    month_span,
    plan_year,
    quarter_end_label,
    quarter_label,
    year_of_folder,
)


def month(text: str) -> pd.Period:
    return pd.Period(text, freq="M")


def labels(months: tuple[pd.Period, ...]) -> list[str]:
    return [str(m) for m in months]


@pytest.fixture
def fy2011() -> FinancialYear:
    return FinancialYear.parse("2011-12")


def test_parse_reads_the_plan_spelling_and_prints_it_back() -> None:
    """'2011-12' starts in April 2011, and prints as written so file paths round-trip."""
    year = FinancialYear.parse("2011-12")
    assert year.start == 2011
    assert str(year) == "2011-12"
    assert FinancialYear.parse(" 2011-12 ") == year


def test_parse_handles_the_century_boundary() -> None:
    """1999-00 is a valid year: the second part wraps at 100."""
    assert FinancialYear.parse("1999-00").start == 1999
    assert str(FinancialYear(1999)) == "1999-00"


@pytest.mark.parametrize("text", [2011, "2011", "2011-13", "2011-2012", "11-12", "2011/12", ""])
def test_parse_refuses_ambiguous_or_inconsistent_years(text: str | int) -> None:
    """A bare 2011 could mean 2010-11 or 2011-12, and 2011-13 is two years: both are refused."""
    with pytest.raises(ValueError, match="not of the form 2011-12"):
        FinancialYear.parse(text)


def test_months_run_april_to_march(fy2011: FinancialYear) -> None:
    months = fy2011.months
    assert len(months) == 12
    assert (str(months[0]), str(months[-1])) == ("2011-04", "2012-03")
    assert all(earlier + 1 == later for earlier, later in itertools.pairwise(months))


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        (1, ["2011-04", "2011-05", "2011-06"]),
        (2, ["2011-07", "2011-08", "2011-09"]),
        (3, ["2011-10", "2011-11", "2011-12"]),
        (4, ["2012-01", "2012-02", "2012-03"]),
    ],
)
def test_quarter_months(fy2011: FinancialYear, quarter: int, expected: list[str]) -> None:
    """Q4 is January to March of the *next* calendar year."""
    assert labels(fy2011.quarter_months(quarter)) == expected


def test_ytd_months_run_from_april_to_the_quarter_end(fy2011: FinancialYear) -> None:
    """A Q2 status is judged on April to September."""
    assert labels(fy2011.ytd_months(1)) == ["2011-04", "2011-05", "2011-06"]
    assert labels(fy2011.ytd_months(2))[-1] == "2011-09"
    assert len(fy2011.ytd_months(2)) == 6
    assert fy2011.ytd_months(4) == fy2011.months


@pytest.mark.parametrize("quarter", [0, 5, -1])
def test_quarter_outside_1_to_4_is_refused(fy2011: FinancialYear, quarter: int) -> None:
    with pytest.raises(ValueError, match="not 1, 2, 3 or 4"):
        fy2011.quarter_months(quarter)
    with pytest.raises(ValueError, match="not 1, 2, 3 or 4"):
        fy2011.ytd_months(quarter)


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("2011-04", 1),
        ("2011-06", 1),
        ("2011-07", 2),
        ("2011-09", 2),
        ("2011-10", 3),
        ("2011-12", 3),
        ("2012-01", 4),
        ("2012-03", 4),
    ],
)
def test_financial_quarter(text: str, quarter: int) -> None:
    """Calendar quarters are shifted: January is Q4, April is Q1."""
    assert financial_quarter(month(text)) == quarter


def test_financial_quarter_agrees_with_quarter_months(fy2011: FinancialYear) -> None:
    """The two ways of placing a month in a quarter must never disagree."""
    for each in fy2011.months:
        assert each in fy2011.quarter_months(financial_quarter(each))


def test_previous_year(fy2011: FinancialYear) -> None:
    """The default baseline is the previous year."""
    assert str(fy2011.previous) == "2010-11"
    assert fy2011.previous < fy2011


@pytest.mark.parametrize(("text", "quarter"), [(2, 2), ("2", 2), ("Q2", 2), ("q3", 3), (" Q4 ", 4)])
def test_parse_quarter_accepts_the_usual_spellings(text: str | int, quarter: int) -> None:
    assert parse_quarter(text) == quarter


@pytest.mark.parametrize("text", ["5", "Q0", "0", "", "Q", "QQ2", "2.0", "Qu 2"])
def test_parse_quarter_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="not Q1, Q2, Q3 or Q4"):
        parse_quarter(text)


def test_month_span_labels(fy2011: FinancialYear) -> None:
    """'Apr-Sep 2011' within a calendar year; both years named when the span crosses January."""
    assert month_span(fy2011.ytd_months(2)) == "Apr-Sep 2011"
    assert month_span(fy2011.months) == "Apr 2011-Mar 2012"
    assert month_span(fy2011.quarter_months(4)) == "Jan-Mar 2012"
    assert month_span(fy2011.months[:1]) == "Apr 2011"
    assert month_span([]) == ""


@pytest.mark.parametrize(
    ("quarter", "label"),
    [(1, "June 2011"), (2, "September 2011"), (3, "December 2011"), (4, "March 2012")],
)
def test_quarter_end_label(fy2011: FinancialYear, quarter: int, label: str) -> None:
    """'As at end of Q2 (September 2011)': Q4 ends in the next calendar year."""
    assert quarter_end_label(fy2011, quarter) == label


# calendar years ------------------------------------------------------------------------------------


def test_a_calendar_year_is_read_and_written_as_one_number() -> None:
    """'2025' (or 2025 from YAML) is unambiguous: the folder, parameter and label are all 2025."""
    year = CalendarYear.parse("2025")
    assert year == CalendarYear.parse(2025) == plan_year(" 2025 ", "january")
    assert (str(year), year.label, year.start) == ("2025", "2025", 2025)
    assert year != FinancialYear(2025)


@pytest.mark.parametrize("text", ["2025-26", "25", "2025/26", "", "twenty"])
def test_a_calendar_year_in_another_form_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"calendar year .* is not of the form 2025"):
        plan_year(text, "january")


def test_calendar_quarters_run_january_to_december() -> None:
    """Q1 is January to March, Q4 October to December of the same year."""
    year = CalendarYear.parse("2024")
    assert labels(year.months) == [f"2024-{m:02d}" for m in range(1, 13)]
    assert labels(year.quarter_months(1)) == ["2024-01", "2024-02", "2024-03"]
    assert labels(year.quarter_months(4)) == ["2024-10", "2024-11", "2024-12"]
    assert labels(year.ytd_months(2))[-1] == "2024-06"
    for each in year.months:
        assert each in year.quarter_months(year.quarter_of(each))


def test_the_calendar_baseline_crosses_the_year_boundary() -> None:
    """2025 is judged against 2024: Q1 2025 beside Q1 2024, twelve months earlier."""
    year = CalendarYear.parse("2025")
    assert year.previous == CalendarYear(2024)
    assert str(year.previous) == "2024"
    assert [m - 12 for m in year.quarter_months(1)] == list(year.previous.quarter_months(1))
    assert year.previous.months[-1] + 1 == year.months[0]


@pytest.mark.parametrize(
    ("year", "quarter", "label"),
    [
        (CalendarYear(2025), 1, "Q1 (January to March 2025)"),
        (CalendarYear(2024), 4, "Q4 (October to December 2024)"),
        (FinancialYear(2011), 2, "Q2 (July to September 2011)"),
        (FinancialYear(2011), 4, "Q4 (January to March 2012)"),
    ],
)
def test_quarter_label_names_the_quarters_months(
    year: FinancialYear, quarter: int, label: str
) -> None:
    assert quarter_label(year, quarter) == label


def test_a_folder_name_says_which_kind_of_year_it_is() -> None:
    assert year_of_folder("2025") == CalendarYear(2025)
    assert year_of_folder("2024-25") == FinancialYear(2024)
    assert quarter_end_label(year_of_folder("2025"), 1) == "March 2025"
