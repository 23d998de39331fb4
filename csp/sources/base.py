"""What every kind of extract source answers, so the engine asks a source and never tests its name.

A source knows which files a quarter needs, how one file is read, how read rows are cleaned into the
common record table (the extract's columns plus `_row`, `_date`, `_month`, `_source`, `_file`), how
its files are combined, which columns it has, which plan options it accepts and which values a plan
condition may name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from csp.domain.periods import PlanYear
from csp.domain.quality import Facts
from csp.domain.specs import Area, ExtractSpec
from csp.inputs.extracts import ExtractFile, Unavailable
from csp.registry import Registry

DEFAULT_SOURCE = "partner"  # an extract that names no source is a partner's own file


class Source(ABC):
    """One kind of extract source; one instance of each is registered in SOURCES under `name`."""

    name: ClassVar[str]
    title: ClassVar[str]  # how messages name the source ("police.uk")
    options_model: ClassVar[type[BaseModel]]
    monthly_files: ClassVar[bool] = False  # one file per month: the report shows month by month
    # Published open data: its values (streets, LSOA names) may be shown in reports as they are.
    public_values: ClassVar[bool] = False
    # Its reading depends on the files alone, never on the plan, and its values are public: one
    # read serves every plan of the same files, kept on disk for them (`csp.sources.shared_reads`).
    shared_reads: ClassVar[bool] = False

    @abstractmethod
    def expected_files(
        self,
        spec: ExtractSpec,
        raw_dir: Path,
        year: PlanYear,
        last_quarter: int,
        availability: Sequence[Unavailable],
    ) -> list[ExtractFile]:
        """Every file of `year` up to `last_quarter`, found or not, with its status."""

    @abstractmethod
    def read_file(self, file: ExtractFile, spec: ExtractSpec) -> pd.DataFrame:
        """One found file's rows as text, exactly as sent, with `_row`: the file row of each (the
        header is row 1); what reading found (an encoding other than UTF-8) goes in
        `file.read_facts`, and cleaning logs it."""

    def read_files(self, files: list[ExtractFile], spec: ExtractSpec) -> pd.DataFrame:
        """The found files' rows stacked in file order, each file's `rows_read` set; a source
        that can read its files faster together overrides this."""
        raws = []
        for file in files:
            raw = self.read_file(file, spec)
            file.rows_read = len(raw)
            raws.append(raw)
        return pd.concat(raws, ignore_index=True)

    @abstractmethod
    def clean(
        self,
        raw: pd.DataFrame,
        files: list[ExtractFile],
        spec: ExtractSpec,
        plan: Area,
        facts: Facts,
    ) -> pd.DataFrame:
        """The rows of `files` (stacked, `_file` naming each row's file) as the record table.

        All of an extract's files are cleaned at once, so each step is one call per column, and
        facts are counted per file; an unreadable value names its file, row and column.
        """

    def combine(
        self, table: pd.DataFrame, spec: ExtractSpec, files: list[ExtractFile], facts: Facts
    ) -> pd.DataFrame:
        """The extract's cleaned rows as one table: by default as they are."""
        return table

    def fixed_columns(self) -> dict[str, str] | None:
        """Our column name -> file header where the source fixes them; None: the plan lists them."""
        return None

    def parse_options(self, data: Mapping[str, Any] | None) -> BaseModel:
        """The plan's `options` for this source, validated; ValueError says what is wrong."""
        try:
            return self.options_model.model_validate(dict(data or {}))
        except ValidationError as exc:
            raise ValueError(self._options_problem(exc)) from None

    def _options_problem(self, exc: ValidationError) -> str:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        expected = ", ".join(self.options_model.model_fields) or "none"
        if error["type"] == "extra_forbidden":
            return f"unknown option '{key}' (expected: {expected})"
        return f"option '{key}': {error['msg']}"

    def condition_values(self, column: str, values: Sequence[Any]) -> list[Any]:
        """The values a plan condition on `column` matches; ValueError for a value never seen."""
        return list(values)


SOURCES: Registry[Source] = Registry("source")
