"""Cleaning a run: every file the quarter needs, each read and cleaned by its source, with the facts.

Sources (`csp.sources`) know their files; typed columns (`csp.inputs.columns`) say how partner cells are
read; data-quality facts (`csp.domain.quality`) record what cleaning left out or changed, for the report.
Columns of person and record IDs leave cleaning as pseudonyms (`csp.engine.pseudonym`), so no ID reaches
the processed folder.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csp.domain.periods import PlanYear
from csp.domain.quality import Facts
from csp.domain.records import RECORD_COLUMNS
from csp.engine import completeness, pseudonym
from csp.errors import ExtractError
from csp.inputs import extracts
from csp.inputs.extracts import ExtractFile
from csp.sources import SOURCES, shared_reads
from csp.sources.base import Source
from csp.store.manifest import checksum_now, size_and_time

if TYPE_CHECKING:
    from csp.plan import ExtractSpec, Plan


@dataclass
class Cleaned:
    """The result of cleaning one run's extracts."""

    tables: dict[str, pd.DataFrame]
    inventory: pd.DataFrame
    log: pd.DataFrame
    completeness: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=completeness.COLUMNS)
    )


def expected_files(plan: Plan, raw_dir: Path, year: PlanYear, quarter: int) -> list[ExtractFile]:
    """Every file a run needs: the whole baseline year and this year up to the quarter."""
    baseline = plan.baseline_for(year)
    availability = extracts.read_availability(raw_dir, year) + (
        extracts.read_availability(raw_dir, baseline) if baseline != year else []
    )
    files: list[ExtractFile] = []
    for spec in plan.extracts.values():
        source = SOURCES.get(spec.source)
        for fy, last_quarter in ((baseline, 4), (year, quarter)):
            files.extend(source.expected_files(spec, raw_dir, fy, last_quarter, availability))
    return files


def clean_all(plan: Plan, raw_dir: Path, year: PlanYear, quarter: int) -> Cleaned:
    """Read and clean every extract a run needs; record each fact; inventory every expected file."""
    files = expected_files(plan, raw_dir, year, quarter)
    facts = Facts()
    cleaned = {}
    for name, spec in plan.extracts.items():
        found = [f for f in files if f.source == name and f.found]
        cleaned[name] = clean_files(spec, found, plan, facts) if found else empty_table(spec)
    tables = {}
    for name, table in cleaned.items():
        found = [f for f in files if f.source == name and f.found]
        source = SOURCES.get(plan.extracts[name].source)
        tables[name] = source.combine(table, plan.extracts[name], found, facts) if found else table
    accepted = [
        entry
        for fy in dict.fromkeys((plan.baseline_for(year), year))
        for entry in extracts.read_acceptances(raw_dir, fy)
    ] + [
        extracts.Acceptance(name, month, note)
        for name, spec in plan.extracts.items()
        for month, note in spec.completeness.accepted
    ]
    months = completeness.check(plan, tables, files, accepted, facts)
    return Cleaned(tables, extracts.inventory_table(files), facts.table(), months)


def clean_files(
    spec: ExtractSpec, files: list[ExtractFile], plan: Plan, facts: Facts
) -> pd.DataFrame:
    """An extract's files, each read by its source, then all cleaned together; rows read and kept
    per file (benchmarks time this for the police.uk download)."""
    source = SOURCES.get(spec.source)
    table = read_files(source, spec, files).drop(columns="_file", errors="ignore")
    table["_file"] = file_column(files, [f.rows_read for f in files])
    first_fact = len(facts.entries)
    add_read_facts(files, spec, facts, monthly=source.monthly_files)
    table = source.clean(table, files, spec, plan, facts)
    facts.order_by_file([extracts.display_path(f.path) for f in files], since=first_fact)
    for column in spec.id_columns:  # before anything else sees them
        table[column] = pseudonym.pseudonyms(table[column])
    kept = table["_file"].value_counts()
    for file in files:
        file.rows_kept = int(kept.get(extracts.display_path(file.path), 0))
    return table


def read_files(source: Source, spec: ExtractSpec, files: list[ExtractFile]) -> pd.DataFrame:
    """The files' rows, each file's checksum set; a file that changed while it was read (a copy
    still being written into the extracts folder) is refused rather than read half old, half new."""
    before = [size_and_time(file.path) for file in files]  # a file gone: its read says so
    table = _read_and_hash(source, spec, files)
    for file, stat in zip(files, before, strict=True):
        if size_and_time(file.path) != stat:
            raise ExtractError(
                file.path,
                "the file changed while csp was reading it (was it still being copied in?): "
                "run again once it is complete",
            )
    return table


def _read_and_hash(source: Source, spec: ExtractSpec, files: list[ExtractFile]) -> pd.DataFrame:
    """The files' rows, each file's checksum set: first, where the source's reads are shared
    (they name the read kept for other plans), else on another core while reading."""
    if source.shared_reads:
        try:
            with ThreadPoolExecutor(max_workers=2) as hasher:
                digests = list(hasher.map(lambda f: checksum_now(f.path), files))
        except OSError:
            pass  # a file that cannot be read: the source's own read says what is wrong with it
        else:
            for file, digest in zip(files, digests, strict=True):
                file.sha256 = digest
            return shared_reads.read(source, files, spec)
    with ThreadPoolExecutor(max_workers=1) as hasher:
        digests = hasher.map(lambda file: checksum_now(file.path), files)
        table = source.read_files(files, spec)
        for file, digest in zip(files, digests, strict=True):
            file.sha256 = digest
    return table


def add_read_facts(
    files: list[ExtractFile], spec: ExtractSpec, facts: Facts, *, monthly: bool
) -> None:
    """What reading a file found (an encoding other than UTF-8), counted as the file's rows; each
    file's come first among its facts."""
    for file in files:
        for code, detail in file.read_facts:
            month = file.first_month if monthly else ""
            name = extracts.display_path(file.path)
            facts.add(code, spec.name, name, file.rows_read, detail, month)


def file_column(files: list[ExtractFile], rows: list[int]) -> pd.Categorical:
    """Each row's file as a categorical: a code per row, not the file's name repeated."""
    names = [extracts.display_path(f.path) for f in files]
    codes = np.repeat(np.arange(len(files), dtype="int32"), rows)
    return pd.Categorical.from_codes(codes, pd.Index(names, dtype=object), validate=False)


def empty_table(spec: ExtractSpec) -> pd.DataFrame:
    """An extract with no file read: its columns, no rows (measures then report no data)."""
    columns = [c.name for c in spec.columns.values()] + list(RECORD_COLUMNS)
    table = pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    table["_date"] = pd.Series(dtype="datetime64[ns]")
    table["_row"] = pd.Series(dtype="int64")
    return table
