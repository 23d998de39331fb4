"""`csp run` over many plans (a pattern, or any run given --jobs or --scheduler): each plan's latest
quarter where asked, the plans of one quarter run as one batch on Dask (`csp.many.batch`, then
`csp.many.cluster`), and the plans with a report compared after it (`csp.report.peers`). Also
`csp peers`, which compares finished reports without running them.

Light on imports, as `batch` is: a rerun with nothing to do starts no cluster and imports neither
Dask nor pandas.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from csp import config
from csp.domain import parameters
from csp.errors import CspError, ParameterError, RunError
from csp.run import runlog
from csp.run.command import latest_for

if TYPE_CHECKING:
    from csp.many.batch import BatchRequest, PlanOutcome, Runner, Tally

SCHEDULER_ENV = "CSP_DASK_SCHEDULER"


def run_many(args: argparse.Namespace, plans: list[str]) -> None:
    """Several plans (or any run given --jobs or --scheduler) on Dask: one plan's failure is
    reported and the others go on; the exit code says whether any failed. With --latest each plan
    runs its own latest quarter (plans on the same quarter together, and compared together)."""
    if args.latest and config.is_url(args.raw_dir):
        raise ParameterError("--latest for many plans reads a local --raw-dir, not a URL")
    if args.latest:
        quarters, failed = latest_quarters(plans, args.raw_dir)
    else:
        try:
            quarters = {(args.year, parameters.parse_quarter(args.quarter)): plans}
        except ValueError as exc:
            raise ParameterError(str(exc)) from exc
        failed = []
    for (year, quarter), members in quarters.items():
        outcomes = run_batch(args, members, year, quarter)
        compare_peers(members, outcomes)
        failed += [outcome.plan for outcome in outcomes if outcome.outcome == runlog.FAILED]
    if failed:
        raise RunError(
            f"{len(failed)} of {len(plans)} plans failed ({', '.join(failed)}); "
            "the others' reports are written"
        )


def latest_quarters(
    plans: list[str], raw: str | None
) -> tuple[dict[tuple[str, int], list[str]], list[str]]:
    """Each plan's latest quarter, the plans grouped by it; a plan with none ready is said, logged
    as refused (`csp.run.runlog`) and counted as failed, and the others go on."""
    quarters: dict[tuple[str, int], list[str]] = {}
    refused: list[str] = []
    for plan in plans:
        try:
            year, quarter, label = latest_for(plan, raw)
        except CspError as exc:
            name = Path(plan).stem
            print(f"csp: {name}: {exc}", file=sys.stderr)
            runlog.record_quietly(
                runlog.Attempt(name, outcome=runlog.REFUSED, detail=str(exc)), 0.0
            )
            refused.append(name)
            continue
        print(f"csp: {Path(plan).stem}: latest quarter with all its months: {year} {label}")
        quarters.setdefault((year, quarter), []).append(plan)
    return quarters, refused


def run_batch(
    args: argparse.Namespace, plans: list[str], year: str, quarter: int
) -> list[PlanOutcome]:
    """One quarter of `plans` on Dask (a LocalCluster of --jobs workers, or --scheduler)."""
    scheduler = args.scheduler
    if scheduler is None and args.jobs is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    from csp.many import batch  # deferred, as for run

    request = batch.BatchRequest(
        plans=tuple(plans),
        year=year,
        quarter=quarter,
        raw_dir=args.raw_dir if config.is_url(args.raw_dir) else raw_folder(args.raw_dir),
        force=args.force,
        processed_root=config.PROCESSED_DIR,
        reports_root=config.REPORTS_DIR,
    )
    outcomes = batch.run_plans(request, on_dask(args.jobs or 1, scheduler))
    print(batch.summary(outcomes))
    return outcomes


def compare_peers(plans: list[str], outcomes: list[PlanOutcome]) -> None:
    """After a run of many plans (`outcomes`, in the order of `plans`) of which one at least ran,
    the plans with a report compared (`csp.report.peers`); a plan that failed is left out rather than
    compared on its last good report."""
    reported = [
        (plan, o) for plan, o in zip(plans, outcomes, strict=True) if o.outcome != runlog.FAILED
    ]
    if len(reported) < 2 or all(outcome.outcome != runlog.RAN for outcome in outcomes):
        return
    from csp.report.peers import write_peers  # deferred, as for run: pandas and matplotlib

    first = reported[0][1]
    names = [plan for plan, _ in reported]
    try:
        page = write_peers(names, first.year, first.quarter, config.REPORTS_DIR)
    except CspError as exc:  # the plans' own reports stand: the comparison says why it is not
        print(f"csp: the plans were not compared: {exc}", file=sys.stderr)
        return
    print(f"csp: {len(names)} plans compared: {config.shown(page)}")


def on_dask(jobs: int, scheduler: str | None) -> Runner:
    """The runner of the plans that need a run (`csp.many.batch.Runner`): Dask is imported only when
    a plan is to run, so a rerun with nothing to do starts no cluster."""

    def run_on_dask(request: BatchRequest, tally: Tally) -> None:
        from csp.many import cluster  # deferred: dask and papermill

        cluster.run_plans(request, tally, jobs=jobs, scheduler=scheduler)

    return run_on_dask


def raw_folder(raw_dir: str | None) -> str | None:
    """--raw-dir as an absolute path, the same for a worker started elsewhere."""
    return str(config.resolve(raw_dir)) if raw_dir else None


def compare(args: argparse.Namespace) -> Path:
    """`csp peers`: the plans matching the pattern, and the year and quarter as each plan reads
    them, are checked before the comparison's stack (pandas, matplotlib, scipy) is imported."""
    names = config.matching_plans(args.plan)
    years = {parameters.check_run(name, args.year, args.quarter).year for name in names}
    if len(years) > 1:
        raise ParameterError(
            f"the plans matching {args.plan!r} read {args.year} as different years "
            f"({', '.join(sorted(years))}): compare plans whose years start in the same month"
        )
    from csp.report.peers import write_peers  # deferred, as for run

    root = config.resolve(args.reports_dir) if args.reports_dir else config.REPORTS_DIR
    page = write_peers(names, years.pop(), parameters.parse_quarter(args.quarter), root)
    print(f"csp: {len(names)} plans compared: {config.shown(page)} (and peers.csv beside it)")
    return page
