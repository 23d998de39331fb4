"""The plan: an analyst's YAML read, checked and resolved (`load_plan`) into the frozen `Plan` the
engine reads; and one quarter's run of it (`csp.plan.quarter.QuarterRun`).

`schema` declares what a plan file may hold, `resolve` ties its entries to each other and to the
registries, `model` holds what they build. The specs a source reads (`ExtractSpec`, `ColumnSpec`)
live below the registries, in `csp.domain.specs`, and are named here too.
"""

from csp.domain.specs import ColumnSpec, CompletenessRule, ExtractSpec
from csp.plan.model import (
    BreakdownSpec,
    Measure,
    MetricSpec,
    Plan,
    TargetSpec,
    Theme,
    TopSpec,
)
from csp.plan.resolve import load_plan

__all__ = [
    "BreakdownSpec",
    "ColumnSpec",
    "CompletenessRule",
    "ExtractSpec",
    "Measure",
    "MetricSpec",
    "Plan",
    "TargetSpec",
    "Theme",
    "TopSpec",
    "load_plan",
]
