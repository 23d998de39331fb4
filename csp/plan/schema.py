"""The schema of a plan file: pydantic models (`PlanFile` down to `ConditionRule`) declare once what
a plan may hold, its keys, types and vocabularies; measure kinds and sources are the names in their
registries. Then how a problem is named and worded: `themes[0].measures[2].metric.kind` reads
`measure 5.1.metric.kind`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from csp.domain import figures
from csp.domain.parameters import DEFAULT_YEAR_START
from csp.domain.periods import PlanYear, plan_year
from csp.kinds import KINDS
from csp.registry import Registry, UnknownName
from csp.sources import DEFAULT_SOURCE, SOURCES

_CHANGE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")

# --- the schema: what a plan file may hold --------------------------------------------------------

Loc = tuple[str | int, ...]


def _problem(text: str) -> PydanticCustomError:
    """A problem worded by the plan's own checks, reported as it is."""
    return PydanticCustomError("plan", "{problem}", {"problem": text})


def _text(value: Any) -> Any:
    """YAML reads 5.1, 2011 or a date as such; a plan's names and titles are text all the same."""
    return str(value) if isinstance(value, int | float | date) else value


def _blank_is_none(value: Any) -> Any:
    """An LSOA's ward left empty (`~`, `null` or nothing) means in the area, ward not known."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _listed(value: Any) -> Any:
    """One value may stand for a list of one (`sources: police_crime`)."""
    return value if isinstance(value, list | tuple) else [value]


def _percent(value: Any) -> float:
    """'-5%', '+2.5 %' or a bare number of percent, as a fraction."""
    if isinstance(value, int | float):
        return float(value) / 100
    match = _CHANGE.match(str(value))
    if not match:
        raise _problem(f"'{value}' is not a percentage such as -5% or +10%")
    return float(match.group(1)) / 100


def _target_form(value: Any) -> Any:
    """`target: baseline` is the baseline unchanged (a change of 0), said on purpose."""
    return {} if value == "baseline" else value


def _band(value: Any) -> float | None:
    """An amber band is a percentage; false (or 0) for none."""
    return None if value in (None, False) else _percent(value)


def _year(value: Any, info: ValidationInfo) -> PlanYear:
    """'2011-12', or '2025' in a plan with `year_start: january` (declared before its years); a
    bare 2011 in a plan of financial years is refused, as it could mean 2010-11 or 2011-12."""
    start = info.data.get("year_start", DEFAULT_YEAR_START)
    if isinstance(value, PlanYear) and value.year_start == start:
        return value
    try:
        return plan_year(value, start)
    except ValueError as exc:
        raise _problem(str(exc)) from None


def _registered(registry: Registry[Any]) -> Callable[[Any], str]:
    """A name the registry knows; the refusal lists the names it does know."""

    def check(name: Any) -> str:
        try:
            registry.get(name)
        except UnknownName as exc:
            raise _problem(str(exc)) from None
        return str(name)

    return check


def _templates(templates: tuple[str, ...], context_names: Iterable[str]) -> tuple[str, ...]:
    """Comment templates may name only the figures the engine computes."""
    for template in templates:
        try:
            figures.check_template(template, set(context_names))
        except ValueError as exc:
            raise _problem(str(exc)) from None
    return templates


Text = Annotated[str, BeforeValidator(_text)]
Names = Annotated[tuple[Text, ...], BeforeValidator(_listed)]
Values = Annotated[tuple[Any, ...], BeforeValidator(_listed)]
Percent = Annotated[float, BeforeValidator(_percent)]
Year = Annotated[PlanYear, PlainValidator(_year)]
YearStart = Literal["april", "january"]
KindName = Annotated[str, BeforeValidator(_registered(KINDS))]
SourceName = Annotated[str, BeforeValidator(_registered(SOURCES))]
ColumnType = Literal["id", "str", "date", "month", "ward", "flag", "int", "number"]
Direction = Literal["reduce", "increase", "maintain"]
BaselineName = Literal["same_months", "whole_year"]
ProjectionName = Literal["run_rate", "baseline_profile"]

# Tags of the entries that take more than one form; they are not keys, so entry names leave them out.
_ANNUAL, _NAMED, _RULE, _VALUES = "(annual)", "(named)", "(rule)", "(values)"
_TAGS = {_ANNUAL, _NAMED, _RULE, _VALUES}


class Entry(BaseModel):
    """A mapping of the plan file. Unknown keys are refused naming the keys it has; an empty value
    counts as left out, so its default applies or it is reported missing."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def known_keys(cls, data: Any) -> Any:
        data = cls.shorthand(data)
        if not isinstance(data, dict):
            return data  # pydantic reports: expected a mapping
        data = {key: value for key, value in data.items() if value is not None and value != ""}
        allowed = cls.keys(data)
        extra = sorted(str(key) for key in data if key not in allowed)
        if extra:
            expected = ", ".join(sorted(allowed))
            raise _problem(f"unknown key '{extra[0]}' (expected one of: {expected})")
        return data

    @classmethod
    def shorthand(cls, data: Any) -> Any:
        """The entry's short spellings, written out in full."""
        return data

    @classmethod
    def keys(cls, data: dict[Any, Any]) -> set[str]:
        """The keys this entry accepts."""
        return {info.alias or name for name, info in cls.model_fields.items()}


class ColumnEntry(Entry):
    """`ward: {header: Ward, type: ward}`, or just `ward: Ward` (the header)."""

    header: Text | None = None
    type: ColumnType = "str"
    required: bool = True
    min: float | None = None  # the smallest possible value of a number (an int's default: 0)
    max: float | None = None

    @classmethod
    def shorthand(cls, data: Any) -> Any:
        return {"header": data} if isinstance(data, str) else {} if data is None else data


class CompletenessEntry(Entry):
    """`completeness: {incomplete_below: 40%, min_expected: 20}` (see csp.engine.completeness)."""

    incomplete_below: Percent = 0.5
    min_expected: float = 20.0
    accept: dict[Text, Text] = {}  # month (yyyy-mm) -> why it is real though it looks incomplete

    @field_validator("accept")
    @classmethod
    def months_with_notes(cls, accept: dict[str, str]) -> dict[str, str]:
        for month, note in accept.items():
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
                raise _problem(f"'{month}' is not a month in the form yyyy-mm (e.g. 2020-04)")
            if not note:
                raise _problem(f"accepting {month} needs a note saying why the month is real")
        return accept


class ExtractEntry(Entry):
    """A partner's extract, or a source with fixed columns (police.uk); `options` are the source's."""

    title: Text | None = None
    partner: Text = ""
    file: Text | None = None
    source: SourceName = DEFAULT_SOURCE
    columns: dict[Text, ColumnEntry] = {}
    id: Text | None = None
    date: Text | None = None
    snapshot: bool = False
    date_format: Text = "%d/%m/%Y"
    options: dict[str, Any] = {}
    completeness: CompletenessEntry = CompletenessEntry()
    show_values: Names = ()  # columns whose values are safe to show in reports; none by default


class ConditionRule(Entry):
    """`{group: <name>}` or `{not: <values>}`."""

    group: Text | None = None
    not_: Values | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def one_form(self) -> ConditionRule:
        if (self.group is None) == (self.not_ is None):
            raise _problem("expected one of {group: <name>} or {not: <values>}")
        return self


def _rule_form(value: Any) -> str:
    """A mapping is a rule (group, not); anything else is the values to match."""
    return _RULE if isinstance(value, dict | ConditionRule) else _VALUES


Rule = Annotated[
    Annotated[ConditionRule, Tag(_RULE)] | Annotated[Values, Tag(_VALUES)],
    Discriminator(_rule_form),
]
Where = dict[Text, Rule]
WHERE: TypeAdapter[dict[str, ConditionRule | tuple[Any, ...]]] = TypeAdapter(Where)


class TopEntry(Entry):
    """Count only the `n` values of `by` with most records in the baseline year."""

    n: int
    by: Names = Field(min_length=1)


class BreakdownEntry(Entry):
    """Figures per item (ward, street), each named by `label`."""

    by: Names = Field(min_length=1)
    label: Text | None = None
    unit: Text = ""
    top: int | None = Field(default=None, ge=1)


class MetricEntry(Entry):
    """The generic keys of a figure; any other key must be one of its kind's options."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    kind: KindName
    sources: Names = Field(min_length=1)
    where: Where = {}
    top: TopEntry | None = None
    breakdown: BreakdownEntry | None = None
    unit: Text = ""

    @classmethod
    def keys(cls, data: dict[Any, Any]) -> set[str]:
        generic = super().keys(data)
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            return generic | {str(key) for key in data}  # the unknown kind is the problem to report
        return generic | set(KINDS.get(kind).Options.model_fields)

    @property
    def options(self) -> dict[str, Any]:
        """The kind's own keys, as the plan wrote them."""
        return dict(self.model_extra or {})


class TargetEntry(Entry):
    """A relative change of the baseline (`-5%`), or percentage points for a level."""

    change: Percent = 0.0
    points: float | None = None


class AnnualBaseline(Entry):
    """A baseline year known only as a total, shared out by pro rata or another measure's months."""

    annual: float
    profile: Text = "pro_rata"


def _baseline_form(value: Any) -> str:
    """A mapping is an annual baseline; anything else names how the baseline is taken."""
    return _ANNUAL if isinstance(value, dict | AnnualBaseline) else _NAMED


Baseline = Annotated[
    Annotated[AnnualBaseline, Tag(_ANNUAL)] | Annotated[BaselineName, Tag(_NAMED)],
    Discriminator(_baseline_form),
]
Templates = Annotated[tuple[Text, ...], BeforeValidator(_listed)]


class MeasureEntry(Entry):
    """A measure; its `context` figures are named in its comment templates."""

    id: Text
    title: Text
    direction: Direction
    metric: MetricEntry
    target: Annotated[TargetEntry | None, BeforeValidator(_target_form)] = None
    context: dict[Text, MetricEntry] = {}
    comment: Templates = ()
    baseline: Baseline = "same_months"
    projection: ProjectionName = "run_rate"
    lower_is_better: bool = True

    @classmethod
    def shorthand(cls, data: Any) -> Any:
        """A context figure is the measure's metric with a few keys replaced."""
        if not isinstance(data, dict):
            return data
        metric, context = data.get("metric"), data.get("context")
        if isinstance(metric, dict) and isinstance(context, dict):
            context = {
                name: {**metric, **over} if isinstance(over, dict) else over
                for name, over in context.items()
            }
            data = {**data, "context": context}
        return data

    @field_validator("comment")
    @classmethod
    def check_figures(cls, templates: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return _templates(templates, info.data.get("context") or {})


class ThemeEntry(Entry):
    """A heading and its measures."""

    theme: Text
    title: Text | None = None
    measures: tuple[MeasureEntry, ...]


class PlanFile(Entry):
    """The whole plan file."""

    plan: Text
    partnership: Text | None = None
    area: Text = ""
    year_start: YearStart = "april"  # before the years, which it tells how to read
    years: Annotated[tuple[Year, ...], BeforeValidator(_listed)]
    baseline_year: Year | None = None
    raw_dir: Text | None = None
    wards: Names = ()
    lsoas: dict[Text, Annotated[Text | None, BeforeValidator(_blank_is_none)]] = {}
    groups: dict[Text, Names] = {}
    extracts: dict[Text, ExtractEntry]
    default_comment: Templates = ()
    themes: tuple[ThemeEntry, ...]
    significance_level: float = 0.05
    amber_band: Annotated[float | None, BeforeValidator(_band)] = None

    @field_validator("default_comment")
    @classmethod
    def check_figures(cls, templates: tuple[str, ...]) -> tuple[str, ...]:
        return _templates(templates, ())


# --- entry names and wording of pydantic's errors -----------------------------------------------

_WHY_REQUIRED = {
    "sources": ": the extracts this figure is counted from",
    "top.by": ": the column(s) to rank",
}


def entry_name(loc: Loc, data: Any) -> str:
    """Where a problem is, as the analyst finds it: `measure 5.1.metric.kind`, `extracts.crime`.

    A measure is named by its number once it has one; list positions are left out below that (the
    list is the entry), as are the tags of entries that take more than one form."""
    loc = tuple(part for part in loc if part not in _TAGS)
    head, rest = "", loc
    if len(loc) >= 4 and loc[0] == "themes" and loc[2] == "measures":
        head, rest = _measure_name(data, loc[1], loc[3]), loc[4:]
    elif len(loc) >= 2 and loc[0] == "themes":
        head, rest = _theme_name(data, loc[1]), loc[2:]
    names = [head] if head else []
    names += [str(part) for part in rest if not isinstance(part, int)]
    return ".".join(names) or "plan"


def _theme_name(data: Any, index: Any) -> str:
    name = _named(data, ("themes", index, "theme"))
    return f"themes[{index}]" if name is None else f"theme {name}"


def _measure_name(data: Any, theme: Any, index: Any) -> str:
    measure_id = _named(data, ("themes", theme, "measures", index, "id"))
    if measure_id is None:
        return f"{_theme_name(data, theme)}.measures[{index}]"
    return f"measure {measure_id}"


def _named(data: Any, loc: Loc) -> str | None:
    """The name (theme) or number (measure) the plan gives the entry at `loc`, if it has one."""
    try:
        for part in loc:
            data = data[part]
    except (KeyError, IndexError, TypeError):
        return None
    return None if data is None or data == "" or isinstance(data, dict | list) else str(data)


def wording(error: ErrorDetails) -> tuple[Loc, str]:
    """Our wording of one pydantic error, and the position of the entry it is about."""
    kind, value = error["type"], error.get("input")
    loc = tuple(part for part in error["loc"] if part not in _TAGS)
    key = str(loc[-1]) if loc else "plan"
    if kind == "plan":
        return loc, str(error.get("ctx", {}).get("problem", error["msg"]))
    if kind == "missing" or (kind == "too_short" and not value):
        why = _WHY_REQUIRED.get(".".join(map(str, loc[-2:]))) or _WHY_REQUIRED.get(key, "")
        return loc[:-1], f"'{key}' is required{why}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"expected a mapping, found {type(value).__name__}"
    if kind in ("tuple_type", "list_type"):
        return loc, f"expected a list, found {type(value).__name__}"
    if kind == "literal_error":
        choices = ", ".join(re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected"))))
        return loc, f"unknown {key} '{value}' (expected one of: {choices})"
    if kind.startswith("int_"):
        return loc, f"'{value}' is not a whole number"
    if kind.startswith("float_"):
        return loc, f"'{value}' is not a number"
    if kind.startswith("bool_"):
        return loc, f"'{value}' is not true or false"
    return loc, f"{error['msg']} (found {value!r})"
