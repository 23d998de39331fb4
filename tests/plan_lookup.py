"""Finding a measure of a plan by its number, for tests (the engine never looks one up by number)."""

from __future__ import annotations

from csp.plan import Measure, Plan


def measure_of(plan: Plan, measure_id: str) -> Measure:
    """The plan's measure numbered `measure_id`; KeyError when there is none."""
    for measure in plan.measures:
        if measure.id == measure_id:
            return measure
    raise KeyError(measure_id)
