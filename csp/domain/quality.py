"""Data-quality facts: what cleaning found and changed, as records the report can count by code.

One table holds every code and its wording, so the report never reads meaning out of a sentence and an
analyst opening cleaning_log.csv still reads the sentence.

A fact that names values keeps them twice: `detail`, as the extract had them, stays in
cleaning_log.csv in the processed folder, for the analyst putting the extract right; `shown` is what a
report may print. Partners type names, addresses and dates of birth into the wrong cell, so a value is
shown only where its column's values are safe to show (police.uk's public data, or the columns a plan
lists in an extract's `show_values`); any other is shown as a mask, `'J… (24 chars)'`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

# Code -> the wording shown to analysts and board members.
FACTS = {
    "blank_lines": "blank lines skipped",
    "spaces_trimmed": "stray spaces trimmed",
    "duplicates_dropped": "exact duplicate rows dropped",
    "ward_spelling_matched": "ward spellings matched to the plan's wards",
    "ward_not_recognised": "wards not recognised (kept for borough totals, in no ward)",
    "no_ward": "rows with no ward (kept for borough totals)",
    "outside_period": "rows dated before the file's period (late records, counted in their own month)",
    "no_location": "rows with no location (in no area measure)",
    "outside_area": "rows outside the plan's area (left out)",
    "ward_not_known": (
        "rows in the area whose ward is not known: LSOA code not in the ONS lookup (2021 codes); "
        "counted in the area's totals, in no ward"
    ),
    "resent": "records sent again in a later file (the later copy kept)",
    "looks_incomplete": "months that look incomplete (the measures they feed show no data)",
    "accepted_incomplete": "months that look incomplete, accepted by the analyst as real",
    "read_as_windows_1252": "rows of files read as Windows-1252 (Latin-1), not UTF-8",
}
FACT_COLUMNS = ["source", "file", "month", "code", "change", "rows", "detail", "shown"]
ALL_FILES = "(all files)"


@dataclass(frozen=True)
class Fact:
    """How many rows of one file (or of a source's files together) one kind of fact concerns."""

    code: str
    source: str
    file: str
    rows: int
    month: str = ""  # the month of a month-by-month file; blank for a file spanning several
    detail: str = ""  # the values concerned, as the extract had them ('; ' between them)
    shown: str = ""  # the same as a report may show them: each value, or its mask

    def __post_init__(self) -> None:
        if self.code not in FACTS:
            raise ValueError(f"unknown data-quality fact '{self.code}' (known: {', '.join(FACTS)})")

    @property
    def change(self) -> str:
        return FACTS[self.code]

    def as_row(self) -> dict[str, object]:
        return {**asdict(self), "change": self.change}


@dataclass
class Facts:
    """The facts of one run, in the order they were found; facts about no rows are not kept."""

    entries: list[Fact] = field(default_factory=list)

    def add(
        self,
        code: str,
        source: str,
        file: str,
        rows: int,
        detail: str = "",
        month: str = "",
        shown: str | None = None,
    ) -> None:
        """A fact about `rows` rows; `shown` is `detail` unless its values may not be shown."""
        fact = Fact(
            code, source, file, int(rows), month, detail, detail if shown is None else shown
        )
        if fact.rows:
            self.entries.append(fact)

    def order_by_file(self, files: list[str], since: int = 0) -> None:
        """Group the facts added since `since` by file, in the order of `files` (a stable sort)."""
        rank = {name: index for index, name in enumerate(files)}
        recent = sorted(self.entries[since:], key=lambda fact: rank.get(fact.file, len(rank)))
        self.entries[since:] = recent

    def table(self) -> pd.DataFrame:
        """The rows of cleaning_log.csv."""
        return pd.DataFrame([f.as_row() for f in self.entries], columns=FACT_COLUMNS)


def mask(value: object) -> str:
    """A value that may not be shown, as a report shows it: its first character and its length
    (`J… (24 chars)`), enough to find it in the extract, too little to tell who it is."""
    text = str(value)
    return f"{text[:1]}… ({len(text)} char{'' if len(text) == 1 else 's'})"


def masked(count: int, example: str = "") -> str:
    """The values of a fact that may not be shown: how many, and one as its mask."""
    values = f"{count} value{'' if count == 1 else 's'}"
    if not example:
        return values
    return f"{values}, {example}" if count == 1 else f"{values}, e.g. {example}"
