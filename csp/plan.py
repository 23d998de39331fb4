"""Plans are configuration: themes, measures, extracts, baselines, targets and comment wording in YAML.

Loading a plan validates it completely, so a typo stops the run before any extract is read, with a
message naming the file, the entry and what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from csp import comments, config
from csp.errors import PlanError
from csp.kinds import KINDS, KindOptions, MeasureKind
from csp.parameters import existing_plan
from csp.periods import FinancialYear
from csp.records import Condition
from csp.registry import UnknownName
from csp.sources import DEFAULT_SOURCE, SOURCES, Source

DIRECTIONS = ("reduce", "increase", "maintain")
COLUMN_TYPES = ("id", "str", "date", "month", "ward", "flag", "int", "number")
PROJECTIONS = ("run_rate", "baseline_profile")
BASELINES = ("same_months", "whole_year")
_CHANGE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an extract: our name, the partner's header, how to read it."""

    name: str
    header: str
    type: str = "str"
    required: bool = True


@dataclass(frozen=True)
class ExtractSpec:
    """An extract: its source (a name in csp.sources.SOURCES), files, columns, how rows are dated.

    `options` is the source's own options model, validated when the plan is loaded.
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
    name: str
    title: str
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Plan:
    name: str
    partnership: str
    area: str
    years: tuple[FinancialYear, ...]
    raw_dir: Path
    wards: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    extracts: dict[str, ExtractSpec]
    themes: tuple[Theme, ...]
    path: Path
    baseline_year: FinancialYear | None = None
    lsoas: dict[str, str] = field(default_factory=dict)
    significance_level: float = 0.05
    amber_band: float | None = None

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for theme in self.themes for m in theme.measures)

    def measure(self, measure_id: str) -> Measure:
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)

    def is_snapshot(self, metric: MetricSpec) -> bool:
        """Snapshot extracts list a cohort at each quarter's end rather than dated records."""
        return self.extracts[metric.sources[0]].snapshot

    def baseline_for(self, year: FinancialYear) -> FinancialYear:
        return self.baseline_year or year.previous

    def check_year(self, year: FinancialYear) -> None:
        if year not in self.years:
            allowed = ", ".join(str(y) for y in self.years)
            raise PlanError(
                self.path, "years", f"the plan does not cover {year} (it covers {allowed})"
            )


def load_plan(name_or_path: str | Path) -> Plan:
    """Read and validate a plan; every problem is a PlanError naming the entry."""
    path = existing_plan(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PlanError(path, "YAML", str(exc).replace("\n", " ")) from exc
    return _PlanReader(path).read(data)


class _PlanReader:
    """Turns the YAML mapping into a Plan, checking each entry as it goes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> PlanError:
        return PlanError(self.path, where, problem)

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, found {type(value).__name__}")
        return value

    def required(self, data: dict[str, Any], key: str, where: str) -> Any:
        if key not in data or data[key] in (None, ""):
            raise self.fail(where, f"'{key}' is required")
        return data[key]

    def unknown_keys(self, data: dict[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            raise self.fail(
                where, f"unknown key '{extra[0]}' (expected one of: {', '.join(sorted(allowed))})"
            )

    def read(self, data: Any) -> Plan:
        data = self.mapping(data, "plan")
        self.unknown_keys(
            data,
            {
                "plan",
                "partnership",
                "area",
                "years",
                "baseline_year",
                "raw_dir",
                "wards",
                "lsoas",
                "groups",
                "extracts",
                "default_comment",
                "themes",
                "significance_level",
                "amber_band",
            },
            "plan",
        )
        name = str(self.required(data, "plan", "plan"))
        listed = self.required(data, "years", "plan")
        years = tuple(
            self.year(y, "years") for y in ([listed] if isinstance(listed, str) else listed)
        )
        baseline_year = data.get("baseline_year")
        lsoas = {
            str(code): str(ward)
            for code, ward in self.mapping(data.get("lsoas") or {}, "lsoas").items()
        }
        wards = tuple(str(w) for w in data.get("wards") or dict.fromkeys(lsoas.values()))
        for code, ward in lsoas.items():
            if ward not in wards:
                raise self.fail(f"lsoas.{code}", f"'{ward}' is not one of the plan's wards")
        groups = {
            str(k): tuple(str(v) for v in vs)
            for k, vs in self.mapping(data.get("groups") or {}, "groups").items()
        }
        extracts = {
            str(k): self.extract(str(k), self.mapping(v, f"extracts.{k}"))
            for k, v in self.mapping(self.required(data, "extracts", "plan"), "extracts").items()
        }
        self.wards, self.groups, self.extracts = wards, groups, extracts
        self.default_comment = self.templates(data.get("default_comment"), "default_comment", set())
        themes = tuple(
            self.theme(t, i) for i, t in enumerate(self.required(data, "themes", "plan"))
        )
        seen: dict[str, str] = {}
        for theme in themes:
            for measure in theme.measures:
                if measure.id in seen:
                    raise self.fail(
                        f"measure {measure.id}",
                        f"duplicate measure number (also under theme '{seen[measure.id]}')",
                    )
                seen[measure.id] = theme.name
        for measure in (m for theme in themes for m in theme.measures):
            profile = measure.baseline_profile
            if profile is not None and (profile not in seen or profile == measure.id):
                raise self.fail(
                    f"measure {measure.id}.baseline.profile",
                    f"'{profile}' is not another measure of the plan (or pro_rata)",
                )
        amber = data.get("amber_band")
        return Plan(
            name=name,
            partnership=str(data.get("partnership", name)),
            area=str(data.get("area", "")),
            years=years,
            raw_dir=config.resolve(data.get("raw_dir", f"data/raw/{name}")),
            wards=wards,
            groups=groups,
            extracts=extracts,
            themes=themes,
            path=self.path,
            baseline_year=self.year(baseline_year, "baseline_year") if baseline_year else None,
            lsoas=lsoas,
            significance_level=self.number(
                data.get("significance_level", 0.05), "significance_level"
            ),
            amber_band=None if amber in (None, False) else self.percent(amber, "amber_band"),
        )

    def year(self, value: Any, where: str) -> FinancialYear:
        try:
            return FinancialYear.parse(value)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from exc

    def integer(self, value: Any, where: str) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self.fail(where, f"'{value}' is not a whole number") from None

    def number(self, value: Any, where: str) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.fail(where, f"'{value}' is not a number") from None

    def percent(self, value: Any, where: str) -> float:
        if isinstance(value, int | float):
            return float(value) / 100
        match = _CHANGE.match(str(value))
        if not match:
            raise self.fail(where, f"'{value}' is not a percentage such as -5% or +10%")
        return float(match.group(1)) / 100

    def extract(self, name: str, data: dict[str, Any]) -> ExtractSpec:
        where = f"extracts.{name}"
        self.unknown_keys(
            data,
            {
                "title",
                "partner",
                "file",
                "source",
                "columns",
                "id",
                "date",
                "snapshot",
                "date_format",
                "options",
            },
            where,
        )
        source_name = str(data.get("source", DEFAULT_SOURCE))
        try:
            source = SOURCES.get(source_name)
        except UnknownName as exc:
            raise self.fail(f"{where}.source", str(exc)) from None
        try:
            options = source.parse_options(
                self.mapping(data.get("options") or {}, f"{where}.options")
            )
        except ValueError as exc:
            raise self.fail(f"{where}.options", str(exc)) from None
        columns = self.extract_columns(source, data, where)
        snapshot = bool(data.get("snapshot", False))
        for key in ("id", "date"):
            if data.get(key) is not None and data[key] not in columns:
                raise self.fail(
                    f"{where}.{key}", f"'{data[key]}' is not one of the extract's columns"
                )
        plan_dates_rows = source.fixed_columns() is None
        if plan_dates_rows and not snapshot and data.get("date") is None:
            raise self.fail(where, "'date' is required unless the extract is a snapshot")
        return ExtractSpec(
            name=name,
            title=str(data.get("title", name)),
            partner=str(data.get("partner", "")),
            file=str(data.get("file") or f"{name}.csv"),
            source=source_name,
            columns=columns,
            id=data.get("id"),
            date=data.get("date"),
            options=options,
            snapshot=snapshot,
            date_format=str(data.get("date_format", "%d/%m/%Y")),
        )

    def extract_columns(
        self, source: Source, data: dict[str, Any], where: str
    ) -> dict[str, ColumnSpec]:
        """The source's fixed columns, or the columns the plan lists for a partner's file."""
        fixed = source.fixed_columns()
        if fixed is not None:
            if data.get("columns"):
                raise self.fail(
                    f"{where}.columns",
                    f"{source.title} files have fixed columns: leave 'columns' out",
                )
            return {
                name: ColumnSpec(name=name, header=header, required=False)
                for name, header in fixed.items()
            }
        columns: dict[str, ColumnSpec] = {}
        for col_name, spec in self.mapping(data.get("columns") or {}, f"{where}.columns").items():
            spec = spec or {}
            if isinstance(spec, str):
                spec = {"header": spec}
            self.unknown_keys(spec, {"header", "type", "required"}, f"{where}.columns.{col_name}")
            col_type = spec.get("type", "str")
            if col_type not in COLUMN_TYPES:
                raise self.fail(
                    f"{where}.columns.{col_name}",
                    f"unknown type '{col_type}' (expected one of: {', '.join(COLUMN_TYPES)})",
                )
            columns[col_name] = ColumnSpec(
                name=col_name,
                header=str(spec.get("header", col_name)),
                type=col_type,
                required=bool(spec.get("required", True)),
            )
        if not columns:
            raise self.fail(f"{where}.columns", "an extract needs at least one column")
        return columns

    def theme(self, data: Any, index: int) -> Theme:
        data = self.mapping(data, f"themes[{index}]")
        self.unknown_keys(data, {"theme", "title", "measures"}, f"themes[{index}]")
        name = str(self.required(data, "theme", f"themes[{index}]"))
        measures = tuple(
            self.measure(m, name) for m in self.required(data, "measures", f"theme {name}")
        )
        return Theme(name=name, title=str(data.get("title", name)), measures=measures)

    def measure(self, data: Any, theme: str) -> Measure:
        data = self.mapping(data, f"theme {theme}")
        measure_id = str(self.required(data, "id", f"theme {theme}"))
        where = f"measure {measure_id}"
        self.unknown_keys(
            data,
            {
                "id",
                "title",
                "direction",
                "metric",
                "target",
                "context",
                "comment",
                "baseline",
                "projection",
                "lower_is_better",
            },
            where,
        )
        direction = self.required(data, "direction", where)
        if direction not in DIRECTIONS:
            raise self.fail(
                f"{where}.direction",
                f"unknown direction '{direction}' (expected one of: {', '.join(DIRECTIONS)})",
            )
        raw_metric = self.mapping(self.required(data, "metric", where), f"{where}.metric")
        metric = self.metric(raw_metric, f"{where}.metric")
        context = {
            str(name): self.metric(
                {**raw_metric, **self.mapping(over, f"{where}.context.{name}")},
                f"{where}.context.{name}",
            )
            for name, over in self.mapping(data.get("context") or {}, f"{where}.context").items()
        }
        target_data = self.mapping(data.get("target") or {}, f"{where}.target")
        self.unknown_keys(target_data, {"change", "points"}, f"{where}.target")
        target = TargetSpec(
            change=self.percent(target_data.get("change", 0), f"{where}.target.change"),
            points=self.number(target_data["points"], f"{where}.target.points")
            if "points" in target_data
            else None,
        )
        baseline = data.get("baseline", "same_months")
        annual_baseline = baseline_profile = None
        if isinstance(baseline, dict):
            self.unknown_keys(baseline, {"annual", "profile"}, f"{where}.baseline")
            annual_baseline = self.number(
                self.required(baseline, "annual", f"{where}.baseline"), f"{where}.baseline.annual"
            )
            profile = baseline.get("profile", "pro_rata")
            baseline_profile = None if profile == "pro_rata" else str(profile)
            baseline = "same_months"
        if baseline not in BASELINES:
            raise self.fail(
                f"{where}.baseline",
                f"unknown baseline '{baseline}' (expected one of: {', '.join(BASELINES)})",
            )
        projection = data.get("projection", "run_rate")
        if projection not in PROJECTIONS:
            raise self.fail(
                f"{where}.projection",
                f"unknown projection '{projection}' (expected one of: {', '.join(PROJECTIONS)})",
            )
        templates = self.templates(data.get("comment"), f"{where}.comment", set(context))
        return Measure(
            id=measure_id,
            title=str(self.required(data, "title", where)),
            theme=theme,
            direction=direction,
            metric=metric,
            target=target,
            context=context,
            comment=templates or self.default_comment,
            baseline=baseline,
            annual_baseline=annual_baseline,
            baseline_profile=baseline_profile,
            projection=projection,
            lower_is_better=bool(data.get("lower_is_better", True)),
        )

    def templates(self, value: Any, where: str, context_names: set[str]) -> tuple[str, ...]:
        """Comment templates, each checked against the figures the engine computes."""
        templates = [value] if isinstance(value, str) else list(value or [])
        for template in templates:
            try:
                comments.check_template(str(template), context_names)
            except ValueError as exc:
                raise self.fail(where, str(exc)) from exc
        return tuple(str(t) for t in templates)

    def metric(self, data: dict[str, Any], where: str) -> MetricSpec:
        kind = self.kind(self.required(data, "kind", where), f"{where}.kind")
        generic = {"kind", "sources", "where", "top", "breakdown", "unit"}
        self.unknown_keys(data, generic | set(kind.Options.model_fields), where)
        sources = self.metric_sources(data, where)
        specs = [self.extracts[s] for s in sources]

        def column(name: Any, key: str) -> str:
            for spec in specs:
                if name not in spec.columns:
                    raise self.fail(
                        f"{where}.{key}", f"'{name}' is not a column of extract '{spec.name}'"
                    )
            return str(name)

        kinds = tuple(SOURCES.get(spec.source) for spec in specs)
        conditions = self.conditions(
            data.get("where") or {}, f"{where}.where", column, "where", kinds
        )
        options = {k: v for k, v in data.items() if k not in generic}
        for key in kind.column_options:
            if options.get(key) is not None:
                options[key] = column(options[key], key)
        for key in kind.condition_options:
            if options.get(key):
                options[key] = self.conditions(options[key], f"{where}.{key}", column, key, kinds)
        return MetricSpec(
            kind=kind,
            sources=tuple(sources),
            where=conditions,
            options=self.kind_options(kind, options, where),
            top=self.top(data.get("top"), where, column),
            breakdown=self.breakdown(data.get("breakdown"), where, column),
            unit=str(data.get("unit", "")),
        )

    def kind(self, name: Any, where: str) -> MeasureKind:
        try:
            return KINDS.get(name)
        except KeyError as exc:
            raise self.fail(where, str(exc)) from None

    def kind_options(self, kind: MeasureKind, options: dict[str, Any], where: str) -> KindOptions:
        """The kind's own keys, checked by the kind's schema."""
        try:
            return kind.Options.model_validate(options)
        except ValidationError as exc:
            error = exc.errors()[0]
            path = ".".join(str(part) for part in error["loc"])
            problem = (
                f"a '{kind.name}' metric needs '{path}'"
                if error["type"] == "missing"
                else f"{error['msg']} (found {error.get('input')!r})"
            )
            raise self.fail(
                f"{where}.{path}" if error["type"] != "missing" else where, problem
            ) from None

    def metric_sources(self, data: dict[str, Any], where: str) -> list[str]:
        sources = data.get("sources")
        if isinstance(sources, str):
            sources = [sources]
        if not sources:
            raise self.fail(
                where, "'sources' is required: the extracts this figure is counted from"
            )
        for source in sources:
            if source not in self.extracts:
                known = ", ".join(sorted(self.extracts))
                raise self.fail(
                    f"{where}.sources", f"unknown extract '{source}' (known extracts: {known})"
                )
        if len({self.extracts[s].snapshot for s in sources}) > 1:
            raise self.fail(
                f"{where}.sources", "cannot mix snapshot and dated extracts in one figure"
            )
        return [str(s) for s in sources]

    def top(self, data: Any, where: str, column: Any) -> TopSpec | None:
        if not data:
            return None
        top_data = self.mapping(data, f"{where}.top")
        self.unknown_keys(top_data, {"n", "by"}, f"{where}.top")
        by = top_data.get("by") or []
        by = [by] if isinstance(by, str) else by
        top = TopSpec(
            n=self.integer(self.required(top_data, "n", f"{where}.top"), f"{where}.top.n"),
            by=tuple(column(b, "top.by") for b in by),
        )
        if not top.by:
            raise self.fail(f"{where}.top", "'by' is required: the column(s) to rank")
        return top

    def breakdown(self, data: Any, where: str, column: Any) -> BreakdownSpec | None:
        if not data:
            return None
        bd = self.mapping(data, f"{where}.breakdown")
        self.unknown_keys(bd, {"by", "label", "unit"}, f"{where}.breakdown")
        by = bd.get("by") or []
        by = tuple(column(b, "breakdown.by") for b in ([by] if isinstance(by, str) else by))
        if not by:
            raise self.fail(f"{where}.breakdown", "'by' is required")
        label = str(bd.get("label") or " ".join("{" + b + "}" for b in by))
        for name in comments.template_fields(label):
            column(name, "breakdown.label")
        return BreakdownSpec(by=by, label=label, unit=str(bd.get("unit", "")))

    def is_ward_column(self, column: str) -> bool:
        """Groups of wards are checked against the plan's wards; other groups (crime types) are not."""
        return column == "ward" or any(
            spec.columns.get(column) is not None and spec.columns[column].type == "ward"
            for spec in self.extracts.values()
        )

    def conditions(
        self, data: Any, where: str, column: Any, key: str, sources: tuple[Source, ...] = ()
    ) -> tuple[Condition, ...]:
        """Each column's rule; each extract's source checks and widens the values it names."""
        data = self.mapping(data, where)
        result = []
        for col, rule in data.items():
            col = column(col, key)
            negate = False
            if isinstance(rule, dict):
                self.unknown_keys(rule, {"group", "not"}, f"{where}.{col}")
                if len(rule) != 1:
                    raise self.fail(
                        f"{where}.{col}", "expected one of {group: <name>} or {not: <values>}"
                    )
                if "group" in rule:
                    group = rule["group"]
                    if group not in self.groups:
                        known = ", ".join(sorted(self.groups)) or "none"
                        raise self.fail(
                            f"{where}.{col}", f"unknown group '{group}' (known groups: {known})"
                        )
                    values: Any = self.groups[group]
                    unknown = [
                        m
                        for m in values
                        if self.is_ward_column(col) and self.wards and m not in self.wards
                    ]
                    if unknown:
                        raise self.fail(
                            f"groups.{group}", f"'{unknown[0]}' is not one of the plan's wards"
                        )
                else:
                    values, negate = rule["not"], True
            else:
                values = rule
            if not isinstance(values, list | tuple):
                values = [values]
            for source in sources:
                try:
                    values = source.condition_values(col, values)
                except ValueError as exc:
                    raise self.fail(f"{where}.{col}", str(exc)) from None
            result.append(Condition(column=col, values=tuple(values), negate=negate))
        return tuple(result)
