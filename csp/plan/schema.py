"""The schema of a plan file: pydantic models (`PlanFile` down to `ConditionRule`) declare once what
a plan may hold, its keys, types and vocabularies; measure kinds and sources are the names in their
registries. How a problem is named and worded is `csp.plan.wording`.
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
from pydantic_core import PydanticCustomError

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
TAGS = {_ANNUAL, _NAMED, _RULE, _VALUES}


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
    """The column's header in the partner's file, as sent (default: the column's name)."""
    type: ColumnType = "str"
    """How the cells are read: `id` (pseudonymised as cleaned, never shown), `str`, `date` (as
    `date_format` says), `month` (yyyy-mm), `ward` (matched to the plan's wards), `flag` (yes/no,
    true/false, 1/0), `int` or `number`."""
    required: bool = True
    """A file without this header is refused; false: a missing column is read as empty."""
    min: float | None = None
    """The smallest possible value of a number: one below it refuses the file (an `int`'s default: 0).
"""
    max: float | None = None
    """The largest possible value of a number: one above it refuses the file."""

    @classmethod
    def shorthand(cls, data: Any) -> Any:
        return {"header": data} if isinstance(data, str) else {} if data is None else data


class CompletenessEntry(Entry):
    """`completeness: {incomplete_below: 40%, min_expected: 20}` (see csp.engine.completeness)."""

    incomplete_below: Percent = 0.5
    """A month under this share of its expected volume looks incomplete and gives `no_data` to the
    measures it feeds (a percentage: `40%`)."""
    min_expected: float = 20.0
    """Months expected to hold fewer records than this vary too much by chance to be doubted."""
    accept: dict[Text, Text] = {}
    """Months (yyyy-mm) known to be real though they look incomplete, each with a note saying why
    (`2020-04: "COVID-19: first lockdown"`); shown in the report."""

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
    """How the report names the extract (default: its name)."""
    partner: Text = ""
    """The partner who sends it (`Cleveland Police`), shown in the report."""
    file: Text | None = None
    """The file's name in each quarter's (or year's) folder: CSV or xlsx (default: `<name>.csv`)."""
    source: SourceName = DEFAULT_SOURCE
    """The kind of source that reads it: `partner` (a partner's own CSV or xlsx, the default) or
    `police_uk` (a data.police.uk download); see the sources' options below."""
    columns: dict[Text, ColumnEntry] = {}
    """Our name for each column, and how to read it (a partner's extract; police.uk's columns are
    fixed)."""
    id: Text | None = None
    """The column of the record's own reference, if any: a record sent again with the same reference
    keeps its later copy."""
    date: Text | None = None
    """The column that dates each record into a month (required unless the extract is a snapshot).
"""
    snapshot: bool = False
    """The file lists a cohort as at each quarter's end (a register) rather than dated records."""
    date_format: Text = "%d/%m/%Y"
    """How dates are written, in Python's strptime form."""
    options: dict[str, Any] = {}
    """The source's own options (see the sources' options below)."""
    completeness: CompletenessEntry = CompletenessEntry()
    """When a month of this extract looks incomplete."""
    show_values: Names = ()
    """Columns whose values are safe to show in reports (an unreadable value, a ward not recognised);
    any other value is masked. Never a column of IDs."""


class ConditionRule(Entry):
    """`{group: <name>}` or `{not: <values>}`."""

    group: Text | None = None
    """The members of one of the plan's `groups` (wards of the plan, on a ward column)."""
    not_: Values | None = Field(default=None, alias="not")
    """Every value but these (`not: [Yarm]`)."""

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
    """How many values to keep."""
    by: Names = Field(min_length=1)
    """The column(s) ranked by their records in the whole baseline year."""


class BreakdownEntry(Entry):
    """Figures per item (ward, street), each named by `label`."""

    by: Names = Field(min_length=1)
    """The column(s) whose values are the items (`ward`, `street`)."""
    label: Text | None = None
    """How an item is named, from its columns (`{street}, {ward}`; default: the columns' values)."""
    unit: Text = ""
    """The unit of the items' figures, in comments."""
    top: int | None = Field(default=None, ge=1)
    """Only the n items with most records in the baseline year."""


class MetricEntry(Entry):
    """The generic keys of a figure; any other key must be one of its kind's options."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    kind: KindName
    """What is computed: `count`, `repeat`, `proportion`, `rate` or `supplied` (their own keys are
    below)."""
    sources: Names = Field(min_length=1)
    """The extract(s) the figure is counted from, by name (one, or a list)."""
    where: Where = {}
    """Filters on the records: `column: value`, `column: [values]`, `column: {group: name}` or
    `column: {not: values}`."""
    top: TopEntry | None = None
    """Count only the n values of a column with most records in the baseline year."""
    breakdown: BreakdownEntry | None = None
    """Figures per item (ward, street) for comments and the report; the figure itself stays the whole
    area's."""
    unit: Text = ""
    """The figure's unit in comments (`crimes`, `calls`)."""

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
    """The planned change of the baseline, a percentage (`-5%`; `0%` keeps it)."""
    points: float | None = None
    """For a level or a percentage: the change in percentage points instead."""


class AnnualBaseline(Entry):
    """A baseline year known only as a total, shared out by pro rata or another measure's months."""

    annual: float
    """The baseline year's total (or its level), where only that is known."""
    profile: Text = "pro_rata"
    """How it is shared out over the months: `pro_rata` (months/12), or another measure's number,
    whose baseline year's months share it out."""


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
    """The measure's number, unique in the plan (`5.1`, `P1`)."""
    title: Text
    """What the board reads (`Reduce Criminal Damage`)."""
    direction: Direction
    """`reduce`, `increase`, or `maintain` (keep at or better than the baseline)."""
    metric: MetricEntry
    """How the figure is computed from the extracts."""
    target: Annotated[TargetEntry | None, BeforeValidator(_target_form)] = None
    """The baseline moved by a planned change: `{change: -5%}`, or `target: baseline` to judge against
    the baseline unchanged. Required."""
    context: dict[Text, MetricEntry] = {}
    """Further figures a comment names (`{police.change_word}`): each the measure's metric with a few
    keys replaced."""
    comment: Templates = ()
    """Comment templates: the first whose figures all exist is used (default: the plan's
    `default_comment`)."""
    baseline: Baseline = "same_months"
    """`same_months` of the baseline year (the default), its `whole_year`, or `{annual: N}`, a total
    known only for the year."""
    projection: ProjectionName = "run_rate"
    """The year end: `run_rate` (the year to date scaled by months) or `baseline_profile` (as the
    baseline year ran)."""
    lower_is_better: bool = True
    """For `maintain`: whether a lower figure is the better one."""

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
    """The theme's short name (`asb`, `violence`)."""
    title: Text | None = None
    """The heading the board reads (default: the name)."""
    measures: tuple[MeasureEntry, ...]
    """The theme's measures, in the order shown."""


class PlanFile(Entry):
    """The whole plan file."""

    plan: Text
    """The plan's name: its folders under `data/processed/` and `reports/`."""
    partnership: Text | None = None
    """The partnership's name, shown on the report (default: the plan's name)."""
    area: Text = ""
    """The area it serves (`Stockton-on-Tees`), shown on the report and the peers page."""
    year_start: YearStart = "april"
    """`april`: financial years, written `2011-12` (the default); `january`: calendar years, written
    `2025`. Declared before `years`, which it tells how to read."""
    years: Annotated[tuple[Year, ...], BeforeValidator(_listed)]
    """The plan's years (one, or a list)."""
    baseline_year: Year | None = None
    """The year every year is judged against (default: the year before each)."""
    raw_dir: Text | None = None
    """The extracts folder, relative to the project or absolute (default: `data/raw/<plan>`);
    `--raw-dir` overrides it."""
    wards: Names = ()
    """The area's wards: a partner's ward spellings are matched to these."""
    lsoas: dict[Text, Annotated[Text | None, BeforeValidator(_blank_is_none)]] = {}
    """A police.uk plan's area: each LSOA code with its ward (`~`: in the area, ward not known). `csp
    init` writes it."""
    groups: dict[Text, Names] = {}
    """Named lists of values a filter may use (`top_five_wards: [...]`)."""
    extracts: dict[Text, ExtractEntry]
    """One entry per extract, by the name measures use."""
    default_comment: Templates = ()
    """The comment templates of a measure that gives none."""
    themes: tuple[ThemeEntry, ...]
    """The plan's themes and their measures, in the order shown."""
    significance_level: float = 0.05
    """The chance below which a gap to the target is called beyond chance."""
    amber_band: Annotated[float | None, BeforeValidator(_band)] = None
    """Off track but within this share of the target shows amber (`5%`); false or absent: two colours
    only."""

    @field_validator("default_comment")
    @classmethod
    def check_figures(cls, templates: tuple[str, ...]) -> tuple[str, ...]:
        return _templates(templates, ())
