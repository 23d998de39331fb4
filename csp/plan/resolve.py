"""Loading a plan: the file read (YAML), validated by its schema (`csp.plan.schema`), then resolved:
the entries tied to each other and to the registries (the extracts a figure counts, their columns,
groups, wards, other measures; each kind's and source's own options) into the frozen `Plan`
(`csp.plan.model`) the engine reads. Every problem is a `PlanError` naming the file and the entry,
so a typo stops the run before any extract is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csp import config
from csp.domain import figures
from csp.domain.parameters import existing_plan
from csp.domain.records import Condition
from csp.domain.specs import ColumnSpec, CompletenessRule, ExtractSpec
from csp.errors import PlanError
from csp.kinds import KINDS, KindOptions, MeasureKind
from csp.plan.model import BreakdownSpec, Measure, MetricSpec, Plan, TargetSpec, Theme, TopSpec
from csp.plan.schema import (
    WHERE,
    AnnualBaseline,
    BreakdownEntry,
    ConditionRule,
    ExtractEntry,
    Loc,
    MeasureEntry,
    MetricEntry,
    PlanFile,
    ThemeEntry,
    TopEntry,
)
from csp.plan.wording import entry_name, wording
from csp.sources import SOURCES, Source

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is several times faster


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
                where = self.validated(WHERE.validate_python, options[key], (*loc, key))
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
