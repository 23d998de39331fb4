"""Unit tests for csp.store.processed: each notebook reads what the previous one wrote, so a value must come
back as it went in. CSV turns blank text into NaN and '1.10' into 1.1 unless told otherwise; those
are the round trips that matter."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from csp import config
from csp.domain.quality import FACT_COLUMNS
from csp.engine.clean import Cleaned
from csp.inputs.extracts import INVENTORY_COLUMNS
from csp.store import processed
from csp.store.processed import RunFolder


def statuses_frame() -> pd.DataFrame:
    """statuses.csv as 02_measures writes it: one judged measure and one with no data."""
    return pd.DataFrame(
        {
            "plan": ["stockton", "stockton"],
            "year": ["2011-12", "2011-12"],
            "measure_id": ["1.10", "4.3"],
            "theme": ["ASB", "Drugs"],
            "quarter": ["Q2", "Q2"],
            "status": ["on_track", "no_data"],
            "actual": [144.0, math.nan],
            "target": [150.5, math.nan],
            "baseline": [158.0, math.nan],
            "unit": ["crimes", "% of exits"],
            "months": ["Apr to Sep", ""],
            "data_to": ["", ""],
            "projection": [288.0, math.nan],
            "p_value": [0.031, math.nan],
            "significance": ["", ""],
            "variation": ["", ""],
            "assurance": ["", ""],
            "spc_summary": ["", ""],
            "reason": ["", "NDTMS Q2 is not yet published"],
            "comment": ["Projection for year is 288.", ""],
        }
    )


def measure_values_frame() -> pd.DataFrame:
    """measure_values.csv: the main series has no item; breakdown rows name theirs."""
    return pd.DataFrame(
        {
            "measure_id": ["1.10", "1.10", "5.2"],
            "series": ["main", "main", "breakdown"],
            "item": ["", "", "High Street in Stockton Town Centre"],
            "year": ["2010-11", "2011-12", "2011-12"],
            "month": ["2010-04", "2011-04", "2011-04"],
            "value": [12.0, 9.0, 3.0],
            "denominator": [math.nan, math.nan, math.nan],
            "covered": [True, True, True],
        }
    )


def breakdowns_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure_id": ["5.2"],
            "quarter": ["Q2"],
            "item": ["High Street in Stockton Town Centre"],
            "actual": [3.0],
            "baseline": [5.0],
            "change": [-2.0],
        }
    )


@pytest.fixture
def measured(tmp_path: Path) -> RunFolder:
    """A processed folder after 02_measures (the folder does not exist beforehand)."""
    folder = RunFolder(tmp_path / "stockton" / "2011-12" / "Q2")
    folder.write_measures(measure_values_frame(), statuses_frame(), breakdowns_frame())
    return folder


def test_run_dir_is_plan_then_year_then_quarter(tmp_path: Path) -> None:
    folder = processed.run_dir(tmp_path, "stockton", "2011-12", 2)
    assert folder.relative_to(tmp_path).parts == ("stockton", "2011-12", "Q2")


def test_default_folders_sit_under_the_project_folders() -> None:
    assert processed.default_processed_dir("stockton", "2011-12", 3) == (
        config.PROCESSED_DIR / "stockton" / "2011-12" / "Q3"
    )


def test_layout_names_the_files_the_readme_documents(tmp_path: Path) -> None:
    """Analysts open these by name in JupyterLab; the README lists them."""
    folder = RunFolder(tmp_path)
    names = {
        path.relative_to(tmp_path).as_posix()
        for path in (
            folder.clean_dir,
            folder.inventory,
            folder.cleaning_log,
            folder.commentary,
            folder.measure_values,
            folder.statuses,
            folder.breakdowns,
        )
    }
    assert names == {
        "clean",
        "inventory.csv",
        "cleaning_log.csv",
        "commentary.csv",
        "measure_values.csv",
        "statuses.csv",
        "breakdowns.csv",
    }


def test_write_measures_creates_the_folder_and_its_three_files(measured: RunFolder) -> None:
    assert measured.measure_values.is_file()
    assert measured.statuses.is_file()
    assert measured.breakdowns.is_file()


def test_statuses_keep_blank_text_as_empty_strings(measured: RunFolder) -> None:
    """The dashboard prints these cells; NaN would show as 'nan' in a comment or reason."""
    statuses = measured.read_statuses()
    for column in processed.TEXT_STATUS_COLUMNS:
        if column in statuses:
            values = statuses[column].tolist()
            assert all(isinstance(v, str) for v in values), (column, values)
    assert statuses.loc[1, "comment"] == ""
    assert statuses.loc[0, "reason"] == ""
    assert statuses.loc[1, "reason"] == "NDTMS Q2 is not yet published"


def test_statuses_keep_measure_ids_as_text(measured: RunFolder) -> None:
    """Measure 1.10 is not measure 1.1."""
    assert measured.read_statuses()["measure_id"].tolist() == ["1.10", "4.3"]


def test_statuses_keep_numbers_as_numbers_and_missing_numbers_as_nan(measured: RunFolder) -> None:
    statuses = measured.read_statuses()
    assert statuses["actual"].dtype.kind == "f"
    assert statuses.loc[0, "actual"] == 144.0
    assert statuses.loc[0, "p_value"] == pytest.approx(0.031)
    assert math.isnan(statuses.loc[1, "actual"])
    assert math.isnan(statuses.loc[1, "projection"])


def test_statuses_round_trip_as_written(measured: RunFolder) -> None:
    pd.testing.assert_frame_equal(measured.read_statuses(), statuses_frame(), check_dtype=False)


def test_measure_values_keep_the_blank_item_and_text_year(measured: RunFolder) -> None:
    values = measured.read_measure_values()
    assert values["item"].tolist() == ["", "", "High Street in Stockton Town Centre"]
    assert values["year"].tolist() == ["2010-11", "2011-12", "2011-12"]
    assert values["measure_id"].tolist() == ["1.10", "1.10", "5.2"]
    assert values["value"].tolist() == [12.0, 9.0, 3.0]


def test_measure_values_year_stays_text_when_it_looks_like_a_number(tmp_path: Path) -> None:
    """A year column must never become an int, or '2011-12' comparisons silently match nothing."""
    folder = RunFolder(tmp_path)
    values = measure_values_frame().assign(year="2011")
    folder.write_measures(values, statuses_frame(), breakdowns_frame())
    assert folder.read_measure_values()["year"].tolist() == ["2011", "2011", "2011"]


def test_breakdowns_keep_measure_ids_as_text(measured: RunFolder) -> None:
    breakdowns = measured.read_breakdowns()
    assert breakdowns["measure_id"].tolist() == ["5.2"]
    assert breakdowns["item"].tolist() == ["High Street in Stockton Town Centre"]


# --- 01_clean's output -------------------------------------------------------------------------


def crime_table() -> pd.DataFrame:
    """A cleaned table with the kinds of column cleaning produces: text, dates, flags, row numbers."""
    return pd.DataFrame(
        {
            "crime_ref": pd.array(["CR1", "CR2", "CR3"], dtype="string"),
            "date_recorded": pd.to_datetime(["2011-04-02", "2011-05-17", "2011-06-30"]),
            "ward": pd.array(["Hardwick", "Newtown", "Hardwick"], dtype="string"),
            "offender_id": pd.array(["P1", pd.NA, ""], dtype="string"),
            "domestic_abuse": pd.array([True, False, True], dtype="boolean"),
            "_row": pd.array([2, 3, 5], dtype="int64"),
        }
    )


def inventory_frame() -> pd.DataFrame:
    """One file read and one missing: the missing one has blank months and no checksum."""
    rows = [
        {
            "source": "police_crime",
            "title": "Police recorded crime",
            "year": "2011-12",
            "quarter": "Q1",
            "file": "data/raw/stockton/2011-12/Q1/police_crime.csv",
            "status": "read",
            "note": "",
            "first_month": "2011-04",
            "last_month": "2011-06",
            "rows_read": 4,
            "rows_kept": 3,
            "sha256": "ab" * 32,
        },
        {
            "source": "marac",
            "title": "MARAC cases",
            "year": "2011-12",
            "quarter": "Q1",
            "file": "data/raw/stockton/2011-12/Q1/marac.csv",
            "status": "missing",
            "note": "",
            "first_month": "",
            "last_month": "",
            "rows_read": 0,
            "rows_kept": 0,
            "sha256": "",
        },
    ]
    return pd.DataFrame(rows, columns=INVENTORY_COLUMNS)


def cleaning_log_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source": "police_crime",
                "file": "police_crime.csv",
                "month": "",
                "code": "duplicates_dropped",
                "change": "exact duplicate rows dropped",
                "rows": 1,
                "detail": "",
            },
            {
                "source": "street_crime",
                "file": "2021-09/2021-09-city-of-london-street.csv",
                "month": "2021-09",
                "code": "no_location",
                "change": "rows with no location (in no area measure)",
                "rows": 12,
                "detail": "",
            },
        ],
        columns=FACT_COLUMNS,
    )


def commentary_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"measure": ["1.10"], "quarter": ["Q1"], "note": ["No consultation carried out YTD"]}
    )


@pytest.fixture
def cleaned(tmp_path: Path) -> RunFolder:
    """A processed folder after 01_clean, with one table of records and one empty table."""
    empty = crime_table().iloc[0:0]
    folder = RunFolder(tmp_path / "stockton" / "2011-12" / "Q1")
    folder.write_cleaned(
        Cleaned(
            tables={"police_crime": crime_table(), "marac": empty},
            inventory=inventory_frame(),
            log=cleaning_log_frame(),
        ),
        commentary_frame(),
    )
    return folder


def test_cleaned_tables_round_trip_with_their_types(cleaned: RunFolder) -> None:
    tables = cleaned.read_tables()
    assert sorted(tables) == ["marac", "police_crime"]
    pd.testing.assert_frame_equal(tables["police_crime"], crime_table())


@pytest.mark.parametrize("threaded_from", [processed.THREADED_CELLS, 0])
def test_a_cleaned_table_reads_as_pandas_reads_it_on_one_thread_or_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threaded_from: int
) -> None:
    """Small tables are converted on the calling thread, large ones on pyarrow's: either way the
    frame is the one pandas reads, categoricals (police.uk's columns) included."""
    monkeypatch.setattr(processed, "THREADED_CELLS", threaded_from)
    table = crime_table().assign(crime_type=pd.Categorical(["Burglary", "Drugs", "Burglary"]))
    path = tmp_path / "police_crime.parquet"
    processed.write_parquet(table, path)
    pd.testing.assert_frame_equal(processed.read_parquet(path), pd.read_parquet(path))
    pd.testing.assert_frame_equal(processed.read_parquet(path), table)


def test_an_empty_cleaned_table_keeps_its_columns_and_types(cleaned: RunFolder) -> None:
    """A missing extract leaves an empty table; the measures step still selects its columns."""
    table = cleaned.read_tables()["marac"]
    assert table.empty
    pd.testing.assert_series_equal(table.dtypes, crime_table().dtypes)


def test_cleaned_text_keeps_blank_and_missing_apart(cleaned: RunFolder) -> None:
    offender = cleaned.read_tables()["police_crime"]["offender_id"]
    assert offender[0] == "P1"
    assert offender[1] is pd.NA
    assert offender[2] == ""


def test_inventory_round_trips_as_text_with_blank_months(cleaned: RunFolder) -> None:
    """Coverage tests `if first_month`: NaN is truthy, so a blank must come back as ''."""
    inventory = cleaned.read_inventory()
    assert list(inventory.columns) == INVENTORY_COLUMNS
    missing = inventory[inventory["source"] == "marac"].iloc[0]
    assert missing["first_month"] == ""
    assert missing["sha256"] == ""
    read = inventory[inventory["source"] == "police_crime"].iloc[0]
    assert (read["first_month"], read["last_month"]) == ("2011-04", "2011-06")
    assert read["rows_kept"] == "3"


def test_inventory_feeds_coverage(cleaned: RunFolder) -> None:
    """The inventory read back is what extracts.coverage needs: only files read cover months."""
    from csp.inputs.extracts import coverage

    covered = coverage(cleaned.read_inventory())
    assert covered["police_crime"] == {"2011-04", "2011-05", "2011-06"}
    assert covered["marac"] == set()


def test_cleaning_log_round_trips_with_row_counts_as_numbers(cleaned: RunFolder) -> None:
    log = cleaned.read_cleaning_log()
    assert list(log.columns) == FACT_COLUMNS
    assert log.loc[0, "rows"] == 1
    assert log["rows"].dtype.kind == "i"
    assert log.loc[0, "detail"] == ""
    assert log.loc[0, "code"] == "duplicates_dropped"
    assert log.loc[0, "change"] == "exact duplicate rows dropped"
    assert log["month"].tolist() == ["", "2021-09"]  # months stay text, blank stays blank


def test_an_empty_cleaning_log_reads_back_empty(tmp_path: Path) -> None:
    """Clean extracts change nothing; the log is then just a header and must still read."""
    folder = RunFolder(tmp_path)
    folder.write_cleaned(
        Cleaned(tables={}, inventory=inventory_frame(), log=pd.DataFrame(columns=FACT_COLUMNS)),
        commentary_frame(),
    )
    log = folder.read_cleaning_log()
    assert log.empty
    assert list(log.columns) == FACT_COLUMNS
    assert folder.read_tables() == {}


def test_commentary_keeps_measure_ids_as_text(cleaned: RunFolder) -> None:
    commentary = cleaned.read_commentary()
    assert commentary.to_dict("records") == [
        {"measure": "1.10", "quarter": "Q1", "note": "No consultation carried out YTD"}
    ]


def test_read_text_csv_keeps_na_words_as_text(tmp_path: Path) -> None:
    """An analyst's note 'N/A' or a street called 'None' is text, not a missing value."""
    path = tmp_path / "notes.csv"
    path.write_text("measure,note\n1.10,N/A\n1.2,\n1.3,None\n", encoding="utf-8")
    assert processed.read_text_csv(path)["note"].tolist() == ["N/A", "", "None"]


def test_statuses_keep_a_comment_that_reads_like_a_missing_value(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    statuses = statuses_frame().assign(comment=["N/A", "None"])
    folder.write_measures(measure_values_frame(), statuses, breakdowns_frame())
    assert folder.read_statuses()["comment"].tolist() == ["N/A", "None"]
