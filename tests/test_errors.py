"""Unit tests for csp.errors: the message is all a user of a scheduled run sees, so it must say which
file, where in it, and what is wrong, in a fixed order a reader (or a log search) can rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from csp.errors import CspError, ExtractError, ParameterError, PlanError, RunError

EXTRACT = Path("data/raw/stockton/2011-12/Q1/police_crime.csv")


def test_extract_error_names_file_row_and_column_in_that_order() -> None:
    error = ExtractError(
        EXTRACT, "'31/02/2011' is not a date in the form dd/mm/yyyy", row=5, column="Date Recorded"
    )
    assert str(error) == (
        "data/raw/stockton/2011-12/Q1/police_crime.csv, row 5, column 'Date Recorded': "
        "'31/02/2011' is not a date in the form dd/mm/yyyy"
    )


def test_extract_error_keeps_its_parts_for_code_that_handles_it() -> None:
    """The report's data-quality section and tests read the parts, not the sentence."""
    error = ExtractError(str(EXTRACT), "not a date", row=7, column="Ward")
    assert error.path == EXTRACT
    assert isinstance(error.path, Path)
    assert (error.row, error.column, error.problem) == (7, "Ward", "not a date")


def test_extract_error_without_row_or_column_is_path_then_problem() -> None:
    error = ExtractError(EXTRACT, "the header 'Ward' is missing")
    assert str(error) == f"{EXTRACT}: the header 'Ward' is missing"
    assert error.row is None
    assert error.column is None


def test_extract_error_with_only_a_row() -> None:
    assert str(ExtractError(EXTRACT, "blank record", row=12)) == f"{EXTRACT}, row 12: blank record"


def test_extract_error_with_only_a_column() -> None:
    error = ExtractError(EXTRACT, "no values", column="Street")
    assert str(error) == f"{EXTRACT}, column 'Street': no values"


def test_extract_error_row_zero_is_still_named() -> None:
    """Row 0 is falsy but still a place in the file; it must not vanish from the message."""
    assert str(ExtractError(EXTRACT, "bad", row=0)) == f"{EXTRACT}, row 0: bad"


def test_plan_error_names_the_file_only_by_its_name() -> None:
    """Plans are known by file name; the folder they sit in is noise in the message."""
    error = PlanError(
        Path("/somewhere/plans/stockton.yml"), "measures[3].target", "change is not a number"
    )
    assert str(error) == "stockton.yml: measures[3].target: change is not a number"
    assert error.path == Path("/somewhere/plans/stockton.yml")
    assert (error.where, error.problem) == ("measures[3].target", "change is not a number")


def test_plan_error_accepts_a_string_path() -> None:
    assert str(PlanError("plans/city.yml", "years", "empty")) == "city.yml: years: empty"


def test_run_error_points_at_the_failed_notebook() -> None:
    notebook = Path("reports/stockton/2011-12/Q2.failed/02_measures.ipynb")
    error = RunError("02_measures failed: KeyError: 'ward'", notebook)
    assert str(error) == f"02_measures failed: KeyError: 'ward' (see {notebook})"
    assert error.notebook == notebook
    assert error.reason == "02_measures failed: KeyError: 'ward'"


def test_run_error_without_a_notebook_is_only_the_reason() -> None:
    error = RunError("no extracts folder at data/raw/stockton")
    assert str(error) == "no extracts folder at data/raw/stockton"
    assert "see" not in str(error)
    assert error.notebook is None


@pytest.mark.parametrize(
    "error",
    [
        ExtractError(EXTRACT, "bad"),
        PlanError("stockton.yml", "plan", "bad"),
        RunError("bad"),
        ParameterError("quarter '5' is not Q1, Q2, Q3 or Q4"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_error_is_a_csp_error(error: Exception) -> None:
    """The command line turns CspError into one line on stderr; anything else is a traceback."""
    assert isinstance(error, CspError)
    with pytest.raises(CspError):
        raise error
