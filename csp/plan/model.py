"""The plan as the engine reads it: frozen objects the resolver builds (`csp.plan.resolve`), never
the YAML. A measure's metric holds its kind (`csp.kinds`); its extracts are specs of `csp.domain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from csp.domain.parameters import DEFAULT_YEAR_START, uncovered_year
from csp.domain.periods import PlanYear, plan_year
from csp.domain.records import Condition
from csp.domain.specs import ExtractSpec
from csp.kinds import KindOptions, MeasureKind


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
