"""The files each pipeline step leaves for the next, in one folder per plan, year and quarter.

01_clean writes   clean/<extract>.parquet, inventory.csv, cleaning_log.csv, commentary.csv
02_measures writes measure_values.csv, statuses.csv, breakdowns.csv, control_charts.csv
03_dashboard reads them all. An analyst can open any of them in JupyterLab.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from csp import config

THREADED_CELLS = 1_000_000  # rows x columns from which a table is converted on pyarrow's threads
TEXT_STATUS_COLUMNS = (
    "plan",
    "year",
    "measure_id",
    "theme",
    "measure",
    "direction",
    "quarter",
    "status",
    "comment",
    "reason",
    "data_to",
    "months",
    "first_month",
    "last_month",
    "unit",
    "significance",
    "variation",
    "assurance",
    "spc_summary",
)


class CleanedExtracts(Protocol):
    """What the clean step hands over (`csp.engine.clean.Cleaned` is one): the extracts' tables
    and the three tables about them."""

    @property
    def tables(self) -> dict[str, pd.DataFrame]: ...

    @property
    def inventory(self) -> pd.DataFrame: ...

    @property
    def log(self) -> pd.DataFrame: ...

    @property
    def completeness(self) -> pd.DataFrame: ...


def run_dir(root: Path, plan: str, year: str, quarter: int) -> Path:
    """<root>/<plan>/<year>/Q<n>: where one run's files live (processed data or report)."""
    return root / plan / year / f"Q{quarter}"


def default_processed_dir(plan: str, year: str, quarter: int) -> Path:
    return run_dir(config.PROCESSED_DIR, plan, year, quarter)


@dataclass(frozen=True)
class RunFolder:
    """Names of the files in one processed folder: the only place that knows them."""

    folder: Path

    @property
    def clean_dir(self) -> Path:
        return self.folder / "clean"

    @property
    def inventory(self) -> Path:
        return self.folder / "inventory.csv"

    @property
    def cleaning_log(self) -> Path:
        return self.folder / "cleaning_log.csv"

    @property
    def commentary(self) -> Path:
        return self.folder / "commentary.csv"

    @property
    def completeness(self) -> Path:
        return self.folder / "completeness.csv"

    @property
    def measure_values(self) -> Path:
        return self.folder / "measure_values.csv"

    @property
    def statuses(self) -> Path:
        return self.folder / "statuses.csv"

    @property
    def breakdowns(self) -> Path:
        return self.folder / "breakdowns.csv"

    @property
    def control_charts(self) -> Path:
        return self.folder / "control_charts.csv"

    def write_cleaned(self, cleaned: CleanedExtracts, commentary: pd.DataFrame) -> None:
        self.clean_dir.mkdir(parents=True, exist_ok=True)
        for source, table in cleaned.tables.items():
            write_parquet(table, self.clean_dir / f"{source}.parquet")
        cleaned.inventory.to_csv(self.inventory, index=False)
        cleaned.log.to_csv(self.cleaning_log, index=False)
        cleaned.completeness.to_csv(self.completeness, index=False)
        commentary.to_csv(self.commentary, index=False)

    def write_measures(
        self,
        values: pd.DataFrame,
        statuses: pd.DataFrame,
        breakdowns: pd.DataFrame,
        charts: pd.DataFrame | None = None,
    ) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        values.to_csv(self.measure_values, index=False)
        statuses.to_csv(self.statuses, index=False)
        breakdowns.to_csv(self.breakdowns, index=False)
        if charts is not None:
            charts.to_csv(self.control_charts, index=False)

    def read_tables(self) -> dict[str, pd.DataFrame]:
        return {path.stem: read_parquet(path) for path in sorted(self.clean_dir.glob("*.parquet"))}

    def read_inventory(self) -> pd.DataFrame:
        return read_text_csv(self.inventory)

    def read_cleaning_log(self) -> pd.DataFrame:
        """The facts; a log written before facts kept `shown` shows none of its values."""
        log = read_text_csv(self.cleaning_log)
        log["rows"] = log["rows"].astype(int)
        if "shown" not in log.columns:
            log["shown"] = ""
        return log

    def read_commentary(self) -> pd.DataFrame:
        return read_text_csv(self.commentary)

    def read_completeness(self) -> pd.DataFrame:
        return read_text_csv(self.completeness)

    def read_measure_values(self) -> pd.DataFrame:
        values = pd.read_csv(
            self.measure_values, dtype={"measure_id": str, "item": str, "year": str}
        )
        values["item"] = values["item"].fillna("")
        return values

    def read_statuses(self) -> pd.DataFrame:
        """Text stays text (an analyst's note of 'N/A' is a note); only empty figures are NaN."""
        statuses = pd.read_csv(self.statuses, dtype=str, keep_default_na=False)
        for column in statuses.columns:
            if column not in TEXT_STATUS_COLUMNS:
                statuses[column] = pd.to_numeric(
                    statuses[column].replace("", None), errors="coerce"
                )
        return statuses

    def read_breakdowns(self) -> pd.DataFrame:
        return pd.read_csv(self.breakdowns, dtype={"measure_id": str, "item": str})

    def read_control_charts(self) -> pd.DataFrame:
        """The control chart each measure was judged with; empty if the step wrote none."""
        if not self.control_charts.exists():
            return pd.DataFrame(columns=["measure_id", "month", "point_type"])
        return pd.read_csv(self.control_charts, dtype={"measure_id": str, "month": str})


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    """A cleaned table as Parquet, fast: it is read once by the next step, so no compression or
    statistics, and dictionaries only for the categoricals (a column of ids gains nothing)."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    dictionaries = [f.name for f in arrow.schema if pa.types.is_dictionary(f.type)]
    pq.write_table(
        arrow, path, compression="none", write_statistics=False, use_dictionary=dictionaries
    )


def read_parquet(path: Path) -> pd.DataFrame:
    """A cleaned table as `pd.read_parquet` reads it, converted to pandas on this thread unless it
    is large: for a partner's few hundred rows, starting pyarrow's pool of threads costs more than
    the conversion (a Stockton quarter's 13 tables: a median of 39 ms, against 50)."""
    table = pq.read_table(path)
    return table.to_pandas(use_threads=table.num_rows * table.num_columns >= THREADED_CELLS)


def read_text_csv(path: Path) -> pd.DataFrame:
    """A CSV whose cells are text (blank stays ''), as the pipeline wrote it."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)
