"""The specs a source reads of its plan: each extract's files, columns and completeness rule, and
the plan's area (its wards, a police.uk plan's LSOAs).

They sit below both the sources and the plan's resolver, which builds them, so neither has to
import the other, not even for its types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel


class Area(Protocol):
    """What a source reads of its plan's area (a `csp.plan.Plan` is one): the wards, and for
    police.uk the area's LSOA codes with their wards (None: in the area, ward not known)."""

    @property
    def wards(self) -> tuple[str, ...]: ...

    @property
    def lsoas(self) -> dict[str, str | None]: ...


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an extract: our name, the partner's header, how to read it."""

    name: str
    header: str
    type: str = "str"
    required: bool = True
    min: float | None = None  # a number outside [min, max] is impossible: the file is refused
    max: float | None = None


@dataclass(frozen=True)
class CompletenessRule:
    """When a month looks incomplete: under `incomplete_below` of its expected volume, where at
    least `min_expected` records were expected (fewer vary too much by chance to say)."""

    incomplete_below: float = 0.5
    min_expected: float = 20.0
    accepted: tuple[tuple[str, str], ...] = ()  # (month, why it is real) the plan accepts


@dataclass(frozen=True)
class ExtractSpec:
    """An extract: its source (a name in csp.sources.SOURCES), files, columns, how rows are dated.

    `options` is the source's own options model, validated when the plan is loaded. `show_values`
    are the columns whose values a report may print (an unrecognised ward, an unreadable date): the
    plan's `show_values`, or every column of a source of public data; any other value is masked.
    """

    name: str
    title: str
    partner: str
    file: str
    source: str
    columns: dict[str, ColumnSpec]
    id: str | None
    date: str | None
    options: BaseModel
    snapshot: bool = False
    date_format: str = "%d/%m/%Y"
    completeness: CompletenessRule = CompletenessRule()
    show_values: frozenset[str] = frozenset()

    @property
    def id_columns(self) -> tuple[str, ...]:
        """The columns of person and record IDs, pseudonymised as they are cleaned."""
        return tuple(name for name, column in self.columns.items() if column.type == "id")
