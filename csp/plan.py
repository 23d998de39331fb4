"""Plans are configuration: themes, measures, extracts, baselines, targets and comment wording in YAML.

Loading a plan validates it completely, so a typo stops the run before any extract is read, with a
message naming the file, the entry and what was expected. It is done in two steps:

- the schema: pydantic models (`PlanFile` down to `ConditionRule`) declare once what a plan file may
  hold, its keys, types and vocabularies; measure kinds and sources are the names in their registries;
- the resolver: ties the entries to each other and to the registries (the extracts a figure counts,
  their columns, groups, wards, other measures; each kind's and source's own options) and builds the
  frozen domain objects below, which are what the engine reads.

Both report a `PlanError` whose entry is worded from the problem's position (a pydantic `loc`):
`themes[0].measures[2].metric.kind` reads `measure 5.1.metric.kind`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from csp import config, figures
from csp.errors import PlanError
from csp.kinds import KINDS, KindOptions, MeasureKind
from csp.parameters import DEFAULT_YEAR_START, existing_plan, uncovered_year
from csp.periods import PlanYear, plan_year
from csp.records import Condition
from csp.registry import Registry, UnknownName
from csp.sources import DEFAULT_SOURCE, SOURCES, Source

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is several times faster
_CHANGE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


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


@dataclass(frozen=True)
class TopSpec:
    """Restrict a metric to the n values of `by` with most records in the whole baseline year."""

    n: int
    by: tuple[str, ...]


@dataclass(frozen=True)
class BreakdownSpec:
    """Per-item figures (wards, streets) for comments and the report."""

    by: tuple[str, ...]
    label: str
    unit: str
    top: int | None = None  # only the n items with most records in the baseline year


@dataclass(frozen=True)
class MetricSpec:
    """How a measure's figure is computed from records: its kind, with the kind's own options."""

    kind: MeasureKind
    sources: tuple[str, ...]
    where: tuple[Condition, ...] = ()
    options: KindOptions = field(default_factory=KindOptions)
    top: TopSpec | None = None
    breakdown: BreakdownSpec | None = None
    unit: str = ""


@dataclass(frozen=True)
class TargetSpec:
    """The target: the baseline moved by a relative change (or by percentage points)."""

    change: float = 0.0
    points: float | None = None


@dataclass(frozen=True)
class Measure:
    """One line of the dashboard: its figure, the baseline and target it is judged against."""

    id: str
    title: str
    theme: str
    direction: str
    metric: MetricSpec
    target: TargetSpec
    context: dict[str, MetricSpec]
    comment: tuple[str, ...]
    baseline: str = "same_months"
    annual_baseline: float | None = None  # a baseline year known only as a total (or a level)
    baseline_profile: str | None = None  # the measure whose baseline-year months share it out
    projection: str = "run_rate"
    lower_is_better: bool = True

    @property
    def higher_is_better(self) -> bool:
        if self.direction == "maintain":
            return not self.lower_is_better
        return self.direction == "increase"


@dataclass(frozen=True)
class Theme:
    """A heading of the plan and the measures under it."""

    name: str
    title: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Plan:
    """A validated plan: what the engine reads, never the YAML."""

    name: str
    partnership: str
    area: str
    years: tuple[PlanYear, ...]
    raw_dir: Path
    wards: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    extracts: dict[str, ExtractSpec]
    themes: tuple[Theme, ...]
    path: Path
    baseline_year: PlanYear | None = None
    # The area's LSOA codes -> ward; None: in the area, its ward not known (a code the lookup lacks).
    lsoas: dict[str, str | None] = field(default_factory=dict)
    significance_level: float = 0.05
    amber_band: float | None = None
    year_start: str = DEFAULT_YEAR_START  # april: financial years (2011-12); january: 2025

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for theme in self.themes for m in theme.measures)

    def is_snapshot(self, metric: MetricSpec) -> bool:
        """Snapshot extracts list a cohort at each quarter's end rather than dated records."""
        return self.extracts[metric.sources[0]].snapshot

    def baseline_for(self, year: PlanYear) -> PlanYear:
        return self.baseline_year or year.previous

    def parse_year(self, text: str | int) -> PlanYear:
        """A year of this plan as written (2011-12, or 2025 where its years start in January);
        ValueError shows the form expected."""
        return plan_year(text, self.year_start)

    def check_year(self, year: PlanYear) -> None:
        if year not in self.years:
            raise uncovered_year(self.path, str(year), [str(y) for y in self.years])


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
    """`completeness: {incomplete_below: 40%, min_expected: 20}` (see csp.completeness)."""

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
_WHERE: TypeAdapter[dict[str, ConditionRule | tuple[Any, ...]]] = TypeAdapter(Where)


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


# --- the resolver: entries tied to each other and to the registries -------------------------------


def load_plan(name_or_path: str | Path) -> Plan:
    """Read and validate a plan; every problem is a PlanError naming the entry."""
    path = existing_plan(name_or_path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise PlanError(path, "YAML", str(exc).replace("\n", " ")) from exc
    resolver = _Resolver(path, data)
    return resolver.plan(resolver.validated(PlanFile.model_validate, data, ()))


class _Resolver:
    """Builds the Plan from the validated file, checking what one entry says about another."""

    def __init__(self, path: Path, data: Any) -> None:
        self.path, self.data = path, data
        self.wards: tuple[str, ...] = ()
        self.groups: dict[str, tuple[str, ...]] = {}
        self.extracts: dict[str, ExtractSpec] = {}

    def fail(self, loc: Loc, problem: str) -> PlanError:
        return PlanError(self.path, entry_name(loc, self.data), problem)

    def validated(self, validate: Callable[[Any], Any], value: Any, loc: Loc) -> Any:
        """`value` validated by part of the schema; its first problem is reported, at `loc`."""
        try:
            return validate(value)
        except ValidationError as exc:
            where, problem = wording(exc.errors()[0])
            raise self.fail(loc + where, problem) from None

    def plan(self, entry: PlanFile) -> Plan:
        known = [ward for ward in entry.lsoas.values() if ward is not None]
        self.wards = entry.wards or tuple(dict.fromkeys(known))
        for code, ward in entry.lsoas.items():
            if ward is not None and ward not in self.wards:
                raise self.fail(("lsoas", code), f"'{ward}' is not one of the plan's wards")
        self.groups = dict(entry.groups)
        self.extracts = {
            name: self.extract(name, extract, ("extracts", name))
            for name, extract in entry.extracts.items()
        }
        themes = tuple(
            self.theme(theme, entry.default_comment, ("themes", index))
            for index, theme in enumerate(entry.themes)
        )
        self.check_measure_numbers(themes)
        return Plan(
            name=entry.plan,
            partnership=entry.partnership or entry.plan,
            area=entry.area,
            years=entry.years,
            raw_dir=config.resolve(entry.raw_dir or f"data/raw/{entry.plan}"),
            wards=self.wards,
            groups=self.groups,
            extracts=self.extracts,
            themes=themes,
            path=self.path,
            baseline_year=entry.baseline_year,
            lsoas=dict(entry.lsoas),
            significance_level=entry.significance_level,
            amber_band=entry.amber_band,
            year_start=entry.year_start,
        )

    def check_measure_numbers(self, themes: tuple[Theme, ...]) -> None:
        """Measure numbers are unique, and a baseline profile is another measure's."""
        seen: dict[str, str] = {}
        for theme_index, theme in enumerate(themes):
            for index, measure in enumerate(theme.measures):
                if measure.id in seen:
                    raise self.fail(
                        ("themes", theme_index, "measures", index),
                        f"duplicate measure number (also under theme '{seen[measure.id]}')",
                    )
                seen[measure.id] = theme.name
        for theme_index, theme in enumerate(themes):
            for index, measure in enumerate(theme.measures):
                profile = measure.baseline_profile
                if profile is not None and (profile not in seen or profile == measure.id):
                    raise self.fail(
                        ("themes", theme_index, "measures", index, "baseline", "profile"),
                        f"'{profile}' is not another measure of the plan (or pro_rata)",
                    )

    def extract(self, name: str, entry: ExtractEntry, loc: Loc) -> ExtractSpec:
        source = SOURCES.get(entry.source)
        try:
            options = source.parse_options(entry.options)
        except ValueError as exc:
            raise self.fail((*loc, "options"), str(exc)) from None
        columns = self.columns(source, entry, loc)
        for key, column in (("id", entry.id), ("date", entry.date)):
            if column is not None and column not in columns:
                raise self.fail((*loc, key), f"'{column}' is not one of the extract's columns")
        shown = self.show_values(source, entry, columns, (*loc, "show_values"))
        plan_dates_rows = source.fixed_columns() is None
        if plan_dates_rows and not entry.snapshot and entry.date is None:
            raise self.fail(loc, "'date' is required unless the extract is a snapshot")
        return ExtractSpec(
            name=name,
            title=entry.title or name,
            partner=entry.partner,
            file=entry.file or f"{name}.csv",
            source=entry.source,
            columns=columns,
            id=entry.id,
            date=entry.date,
            options=options,
            snapshot=entry.snapshot,
            date_format=entry.date_format,
            completeness=CompletenessRule(
                entry.completeness.incomplete_below,
                entry.completeness.min_expected,
                tuple(entry.completeness.accept.items()),
            ),
            show_values=shown,
        )

    def show_values(
        self, source: Source, entry: ExtractEntry, columns: dict[str, ColumnSpec], loc: Loc
    ) -> frozenset[str]:
        """The columns whose values reports may show: public data's all; else those the plan
        lists, which must be columns, and not of IDs."""
        for name in entry.show_values:
            if name not in columns:
                raise self.fail(loc, f"'{name}' is not one of the extract's columns")
            if columns[name].type == "id":
                raise self.fail(loc, f"'{name}' holds IDs, which are never shown")
        return frozenset(columns if source.public_values else entry.show_values)

    def columns(self, source: Source, entry: ExtractEntry, loc: Loc) -> dict[str, ColumnSpec]:
        """The source's fixed columns, or the columns the plan lists for a partner's file."""
        fixed = source.fixed_columns()
        if fixed is not None:
            if entry.columns:
                raise self.fail(
                    (*loc, "columns"),
                    f"{source.title} files have fixed columns: leave 'columns' out",
                )
            return {
                name: ColumnSpec(name=name, header=header, required=False)
                for name, header in fixed.items()
            }
        if not entry.columns:
            raise self.fail((*loc, "columns"), "an extract needs at least one column")
        return {
            name: ColumnSpec(
                name=name,
                header=column.header or name,
                type=column.type,
                required=column.required,
                min=column.min if column.min is not None or column.type != "int" else 0,
                max=column.max,
            )
            for name, column in entry.columns.items()
        }

    def theme(self, entry: ThemeEntry, default_comment: tuple[str, ...], loc: Loc) -> Theme:
        measures = tuple(
            self.measure(measure, entry.theme, default_comment, (*loc, "measures", index))
            for index, measure in enumerate(entry.measures)
        )
        return Theme(name=entry.theme, title=entry.title or entry.theme, measures=measures)

    def measure(
        self, entry: MeasureEntry, theme: str, default_comment: tuple[str, ...], loc: Loc
    ) -> Measure:
        if entry.target is None:
            raise self.fail(
                loc,
                "a measure needs a target: e.g. `target: {change: -5%}`, or `target: baseline` "
                "to judge it against the baseline unchanged",
            )
        target = entry.target
        baseline, annual, profile = entry.baseline, None, None
        if isinstance(baseline, AnnualBaseline):
            annual = baseline.annual
            profile = None if baseline.profile == "pro_rata" else baseline.profile
            baseline = "same_months"
        return Measure(
            id=entry.id,
            title=entry.title,
            theme=theme,
            direction=entry.direction,
            metric=self.metric(entry.metric, (*loc, "metric")),
            target=TargetSpec(change=target.change, points=target.points),
            context={
                name: self.metric(metric, (*loc, "context", name))
                for name, metric in entry.context.items()
            },
            comment=entry.comment or default_comment,
            baseline=baseline,
            annual_baseline=annual,
            baseline_profile=profile,
            projection=entry.projection,
            lower_is_better=entry.lower_is_better,
        )

    def metric(self, entry: MetricEntry, loc: Loc) -> MetricSpec:
        kind = KINDS.get(entry.kind)
        figure = _Figure(self, self.metric_extracts(entry.sources, (*loc, "sources")), loc)
        options = entry.options
        for key in kind.column_options:
            if options.get(key) is not None:
                options[key] = figure.column(options[key], (key,))
        for key in kind.condition_options:
            if options.get(key):
                where = self.validated(_WHERE.validate_python, options[key], (*loc, key))
                options[key] = figure.conditions(where, (key,))
        return MetricSpec(
            kind=kind,
            sources=entry.sources,
            where=figure.conditions(entry.where, ("where",)),
            options=self.kind_options(kind, options, loc),
            top=None if entry.top is None else figure.top(entry.top),
            breakdown=None if entry.breakdown is None else figure.breakdown(entry.breakdown),
            unit=entry.unit,
        )

    def metric_extracts(self, sources: tuple[str, ...], loc: Loc) -> list[ExtractSpec]:
        """The extracts a figure is counted from: known, and all snapshots or all dated."""
        for source in sources:
            if source not in self.extracts:
                known = ", ".join(sorted(self.extracts))
                raise self.fail(loc, f"unknown extract '{source}' (known extracts: {known})")
        specs = [self.extracts[source] for source in sources]
        if len({spec.snapshot for spec in specs}) > 1:
            raise self.fail(loc, "cannot mix snapshot and dated extracts in one figure")
        return specs

    def kind_options(self, kind: MeasureKind, options: dict[str, Any], loc: Loc) -> KindOptions:
        """The kind's own keys, checked by the kind's schema."""
        try:
            return kind.Options.model_validate(options)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "missing":
                needed = ".".join(str(part) for part in error["loc"])
                raise self.fail(loc, f"a '{kind.name}' metric needs '{needed}'") from None
            where, problem = wording(error)
            raise self.fail(loc + where, problem) from None

    def is_ward_column(self, column: str) -> bool:
        """Groups of wards are checked against the plan's wards; other groups (crime types) are not."""
        return column == "ward" or any(
            spec.columns.get(column) is not None and spec.columns[column].type == "ward"
            for spec in self.extracts.values()
        )


class _Figure:
    """One figure's references: columns of all its extracts, groups, and its sources' vocabularies."""

    def __init__(self, resolver: _Resolver, specs: list[ExtractSpec], loc: Loc) -> None:
        self.resolver, self.specs, self.loc = resolver, specs, loc
        self.source_types = tuple(SOURCES.get(spec.source) for spec in specs)

    def column(self, name: Any, loc: Loc) -> str:
        for spec in self.specs:
            if name not in spec.columns:
                raise self.resolver.fail(
                    self.loc + loc, f"'{name}' is not a column of extract '{spec.name}'"
                )
        return str(name)

    def named(self, name: Any, loc: Loc) -> str:
        """A column whose values the plan names (a filter) or the report shows (top, breakdown):
        not a column of IDs, whose values are pseudonyms by the time a figure is counted."""
        column = self.column(name, loc)
        for spec in self.specs:
            if column in spec.id_columns:
                raise self.resolver.fail(
                    self.loc + loc,
                    f"'{column}' holds IDs (pseudonymised as extract '{spec.name}' is cleaned): "
                    "a figure may count them, not name or show their values",
                )
        return column

    def columns(self, names: Iterable[str], loc: Loc) -> tuple[str, ...]:
        return tuple(self.named(name, loc) for name in names)

    def top(self, entry: TopEntry) -> TopSpec:
        return TopSpec(n=entry.n, by=self.columns(entry.by, ("top", "by")))

    def breakdown(self, entry: BreakdownEntry) -> BreakdownSpec:
        by = self.columns(entry.by, ("breakdown", "by"))
        label = entry.label or " ".join("{" + column + "}" for column in by)
        self.columns(figures.template_fields(label), ("breakdown", "label"))
        return BreakdownSpec(by=by, label=label, unit=entry.unit, top=entry.top)

    def conditions(
        self, where: dict[str, ConditionRule | tuple[Any, ...]], loc: Loc
    ) -> tuple[Condition, ...]:
        """Each column's rule; each extract's source checks and widens the values it names."""
        result = []
        for name, rule in where.items():
            column = self.named(name, loc)
            values, negate = rule, False
            if isinstance(rule, ConditionRule):
                values, negate = self.group(rule, column, (*loc, column)), rule.not_ is not None
            for source in self.source_types:
                try:
                    values = tuple(source.condition_values(column, list(values)))
                except ValueError as exc:
                    raise self.resolver.fail((*self.loc, *loc, column), str(exc)) from None
            result.append(Condition(column=column, values=tuple(values), negate=negate))
        return tuple(result)

    def group(self, rule: ConditionRule, column: str, loc: Loc) -> tuple[Any, ...]:
        """`{not: values}`'s values, or a group's members (wards of the plan, on a ward column)."""
        if rule.not_ is not None:
            return rule.not_
        groups, wards = self.resolver.groups, self.resolver.wards
        if rule.group not in groups:
            known = ", ".join(sorted(groups)) or "none"
            raise self.resolver.fail(
                self.loc + loc, f"unknown group '{rule.group}' (known groups: {known})"
            )
        members = groups[rule.group]
        if wards and self.resolver.is_ward_column(column):
            for member in members:
                if member not in wards:
                    raise self.resolver.fail(
                        ("groups", str(rule.group)), f"'{member}' is not one of the plan's wards"
                    )
        return members
