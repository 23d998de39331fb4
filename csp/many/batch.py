"""Many plans' quarter in one command: `csp run --plan 'cleveland-*' --year 2025 --quarter 2`.

What is asked of each plan, what comes back, and what the command prints: plans whose quarter is
up to date, or whose year does not fit them, are answered here at once, without a cluster; the
others go to a runner (`csp.many.cluster`, on Dask), which hands in each plan's outcome as it comes.
One plan's failure is its outcome, with its reason, and the others go on. As outcomes come in, a
line says how many plans are done and about how long is left; a table at the end.

Light on imports, like the single-plan checks: a rerun with nothing to do starts no cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from csp import config
from csp.domain import parameters
from csp.errors import CspError
from csp.run import runlog
from csp.store import lock, manifest

# What a plan of a batch can come to: the run log's words (`csp.run.runlog`), a refusal counted as failed.
OUTCOMES = (runlog.RAN, runlog.UP_TO_DATE, runlog.FAILED)


@dataclass(frozen=True)
class BatchRequest:
    """What every plan's run is given: the same quarter, extracts folder and output folders.

    Paths are absolute, resolved where the command was typed: a worker on another machine finds
    them at the same place (shared storage), whatever its own project folder."""

    plans: tuple[str, ...]
    year: str
    quarter: int
    raw_dir: str | None
    force: bool
    processed_root: Path
    reports_root: Path

    def folder(self, root: Path, checked: parameters.RunRequest) -> Path:
        """<root>/<plan>/<year>/Q<n> of a checked plan, as `csp.store.processed.run_dir` lays it out."""
        return root / checked.plan / checked.year / f"Q{checked.quarter}"


@dataclass(frozen=True)
class PlanOutcome:
    """One plan's run as the command hears of it (small and picklable): `outcome` is one of
    OUTCOMES; `report` the dashboard's path, `reason` why it failed."""

    plan: str
    year: str
    quarter: int
    outcome: str
    seconds: float
    report: str = ""
    reason: str = ""


def failure(plan: str, request: BatchRequest, reason: str, seconds: float = 0.0) -> PlanOutcome:
    """A plan that failed, named as its file is (before its plan could be read)."""
    return PlanOutcome(
        Path(plan).stem, request.year, request.quarter, runlog.FAILED, round(seconds, 1), "", reason
    )


def answered_without_running(plan: str, request: BatchRequest) -> PlanOutcome | None:
    """The plan's outcome if it needs no run: its quarter up to date (unless --force), or its
    year refused (a calendar plan given 2025-26); None if it is to run."""
    started = time.perf_counter()
    try:
        checked = parameters.check_run(plan, request.year, request.quarter, request.raw_dir)
    except CspError as exc:
        return failure(plan, request, str(exc))
    report = request.folder(request.reports_root, checked)
    processed = request.folder(request.processed_root, checked)
    if (
        request.force
        or config.is_url(request.raw_dir)  # known only once copied, on the worker
        or not manifest.up_to_date(
            checked.as_dict(), checked.plan_file, checked.raw_dir, report, processed
        )
    ):
        return None
    lock.tidy(checked.label, processed, report)
    seconds = round(time.perf_counter() - started, 1)
    dashboard = str(report / "dashboard.html")
    return PlanOutcome(
        checked.plan, checked.year, checked.quarter, runlog.UP_TO_DATE, seconds, dashboard
    )


@dataclass
class Tally:
    """The outcomes as they come in, each printed with the plans done and the time left."""

    total: int
    reports_root: Path
    progress: Callable[[str], None] = print
    workers: int = 1
    outcomes: dict[str, PlanOutcome] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    ran_seconds: list[float] = field(default_factory=list)

    def add(self, plan: str, outcome: PlanOutcome, *, ran: bool = True) -> None:
        """Record `plan`'s outcome (`ran`: it went to the runner, so its time counts towards
        the estimate of the time left)."""
        self.outcomes[plan] = outcome
        if ran:
            self.ran_seconds.append(outcome.seconds)
        after_plan(outcome, self.reports_root)
        self.progress(self.line(outcome))

    def line(self, outcome: PlanOutcome) -> str:
        """'csp: 2/4 plans done, about 16 s left (cleveland-hartlepool ran in 8.1 s)': the time
        left is the plans left at the mean time of a run so far, shared between the workers."""
        done = len(self.outcomes)
        what = f"{outcome.plan} {outcome.outcome.replace('_', ' ')}"
        if outcome.outcome != runlog.UP_TO_DATE:
            what += f" in {outcome.seconds:.1f} s"
        if done == self.total:
            elapsed = time.perf_counter() - self.started
            return f"csp: {done}/{self.total} plans done in {duration(elapsed)} ({what})"
        if not self.ran_seconds:
            return f"csp: {done}/{self.total} plans done ({what})"
        mean = sum(self.ran_seconds) / len(self.ran_seconds)
        left = mean * (self.total - done) / max(1, self.workers)
        return f"csp: {done}/{self.total} plans done, about {duration(left)} left ({what})"


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


Runner = Callable[[BatchRequest, Tally], None]


def run_plans(
    request: BatchRequest, runner: Runner, progress: Callable[[str], None] = print
) -> list[PlanOutcome]:
    """Every plan of the request: answered here where no run is needed, else by `runner`, which
    adds each outcome to the tally as it comes. In the request's order of plans."""
    tally = Tally(len(request.plans), request.reports_root, progress)
    to_run = []
    for plan in request.plans:
        answered = answered_without_running(plan, request)
        if answered is None:
            to_run.append(plan)
        else:
            tally.add(plan, answered, ran=False)
    if to_run:
        runner(replace(request, plans=tuple(to_run)), tally)
    outcomes = [tally.outcomes[plan] for plan in request.plans]
    return outcomes


def summary(outcomes: list[PlanOutcome]) -> str:
    """The table printed at the end: plan, outcome, seconds, and the report or why it failed."""
    rows = [("plan", "outcome", "seconds", "report or reason")]
    for outcome in outcomes:
        shown = config.shown(Path(outcome.report)) if outcome.report else ""
        rows.append(
            (
                outcome.plan,
                outcome.outcome.replace("_", " "),
                f"{outcome.seconds:.1f}",
                outcome.reason if outcome.outcome == runlog.FAILED else shown,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
        for row in rows
    ]
    counts = {kind: sum(o.outcome == kind for o in outcomes) for kind in OUTCOMES}
    lines.append(
        f"csp: {counts['ran']} ran, {counts['up_to_date']} up to date, {counts['failed']} failed"
    )
    return "\n".join(lines)


def after_plan(outcome: PlanOutcome, reports_root: Path) -> None:
    """Each plan's attempt is a row of the run log (reports/runs.csv), as a single run's is: in
    the command's process, so the workers need not reach the log."""
    detail = outcome.reason or outcome.report
    entry = runlog.Attempt(outcome.plan, outcome.year, outcome.quarter, outcome.outcome, detail)
    runlog.record_quietly(entry, outcome.seconds, reports_root)
