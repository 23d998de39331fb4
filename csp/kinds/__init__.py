"""Measure kinds, by the name a plan gives them: `KINDS.get(metric.kind)`.

To add a kind, write a module with a `MeasureKind` subclass and register an instance below.
"""

from __future__ import annotations

from csp.kinds.base import Comparison, EventCounts, KindOptions, MeasureKind, Span
from csp.kinds.count import Count
from csp.kinds.proportion import Proportion
from csp.kinds.rate import Rate
from csp.kinds.repeat import Repeat
from csp.kinds.supplied import Supplied
from csp.registry import Registry

KINDS: Registry[MeasureKind] = Registry("metric kind")
for _kind in (Count(), Repeat(), Proportion(), Supplied(), Rate()):
    KINDS.register(_kind.name, _kind)

__all__ = ["KINDS", "Comparison", "EventCounts", "KindOptions", "MeasureKind", "Span"]
