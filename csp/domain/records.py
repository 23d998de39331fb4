"""The common record table every source produces, and the filters a plan puts on it.

Each cleaned table has the extract's own columns plus `_row` (file line), `_date`, `_month`
('YYYY-MM'), `_source` and `_file`; measure kinds count these rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ROW, DATE, MONTH, SOURCE, FILE = "_row", "_date", "_month", "_source", "_file"
RECORD_COLUMNS = (ROW, DATE, MONTH, SOURCE, FILE)  # what every source adds to an extract's own


@dataclass(frozen=True)
class Condition:
    """A filter on one column: keep rows whose value is (or is not) one of `values`."""

    column: str
    values: tuple[Any, ...]
    negate: bool = False


def condition_mask(table: pd.DataFrame, conditions: Iterable[Condition]) -> pd.Series:
    """True for the rows meeting every condition."""
    mask = np.ones(len(table), dtype=bool)
    for condition in conditions:
        matches = table[condition.column].isin(list(condition.values)).to_numpy(dtype=bool)
        mask &= ~matches if condition.negate else matches
    return pd.Series(mask, index=table.index)


def filter_rows(table: pd.DataFrame, conditions: Iterable[Condition]) -> pd.DataFrame:
    """Keep the rows meeting every condition (a value, a list of values, or 'not' these)."""
    conditions = tuple(conditions)
    return table[condition_mask(table, conditions)] if conditions else table


def stacked(tables: Mapping[str, pd.DataFrame], sources: Iterable[str]) -> pd.DataFrame:
    """The records of several sources as one table (the only table, when there is one)."""
    frames = [tables[source] for source in sources if source in tables]
    if not frames:
        return pd.DataFrame(columns=[MONTH, DATE, SOURCE, ROW])
    return pd.concat(frames, ignore_index=True, sort=False) if len(frames) > 1 else frames[0]
