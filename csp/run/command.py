"""`csp run` of one plan, from its parsed arguments: checked, an unchanged quarter answered from its
manifest, a run in progress named, and only then the pipeline imported and the quarter run on a warm
kernel. `--latest`'s choice of quarter is worked out here too, and remembered with what it was made
from, so the daily scheduled run answers without loading the plan.

Light on imports, as the command line is: the kernel, the pipeline, the plan and fsspec are imported
only when the run needs them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from csp import config
from csp.domain import parameters
from csp.errors import RunError
from csp.run import runlog
from csp.store import lock, manifest


def latest(args: argparse.Namespace) -> tuple[str, int]:
    """The quarter --latest picks, printed. The plan and its sources are needed to choose (pandas
    comes with them); the pipeline is still imported only after the choice."""
    year, quarter, label = latest_for(args.plan, args.raw_dir)
    print(f"csp: latest quarter with all its months: {year} {label}")
    return year, quarter


def latest_for(plan_name: str, raw: str | None) -> tuple[str, int, str]:
    """A plan's latest quarter whose months are all in its extracts folder: year, quarter and the
    quarter's label; RunError when no quarter of the plan's years is. The choice is remembered
    with what it was made from (`manifest.latest_key`): while the plan, code and the folder's
    files are unchanged, the daily scheduled run answers without loading the plan (pandas,
    pydantic: most of a second)."""
    path = parameters.existing_plan(plan_name)
    header = parameters.plan_header(path)
    raw_dir = parameters.raw_dir_of(path, header, raw)
    memo = config.PROCESSED_DIR / parameters.plan_name(path, header) / manifest.LATEST
    key = manifest.latest_key(path, raw_dir) if raw_dir.is_dir() else None
    if key is not None and (choice := manifest.recalled_latest(memo, key)) is not None:
        return choice
    year, quarter, label = choose_latest(plan_name, raw)
    if key is not None and manifest.latest_key(path, raw_dir) == key:  # nothing moved meanwhile
        manifest.record_latest(memo, key, (year, quarter, label))
    return year, quarter, label


def choose_latest(plan_name: str, raw: str | None) -> tuple[str, int, str]:
    """`latest_for`, worked out from the plan and the folder's files."""
    from csp.domain.periods import quarter_label
    from csp.plan import load_plan
    from csp.run.latest import latest_quarter  # deferred, as for run

    plan = load_plan(plan_name)
    raw_dir = config.resolve(raw) if raw else plan.raw_dir
    extracts_folder(raw_dir)
    found = latest_quarter(plan, raw_dir)
    if found is None:
        years = ", ".join(str(year) for year in plan.years)
        raise RunError(
            f"no quarter of {plan.name}'s years ({years}) has all its months in "
            f"{config.shown(raw_dir)}"
        )
    year, quarter = found
    return str(year), quarter, quarter_label(year, quarter)


def run_one(args: argparse.Namespace, attempt: runlog.Attempt) -> None:
    """Arguments are checked, and an unchanged quarter answered, before the pipeline (papermill,
    pandas) is imported: a typo or a rerun of the same inputs costs no seconds of imports. A rerun
    with nothing to do still clears what a killed run left, unless a run is live."""
    if config.is_url(args.raw_dir):
        if not args.latest:
            parameters.check_run(args.plan, args.year, args.quarter)  # a typo, before copying
        from csp.inputs import mirror  # deferred: fsspec, for extracts at a URL only

        args.raw_dir = str(mirror.local_copy(args.raw_dir))
    if args.latest:
        args.year, args.quarter = latest(args)
        attempt.year, attempt.quarter = args.year, args.quarter
    request = parameters.check_run(args.plan, args.year, args.quarter, args.raw_dir)
    attempt.plan, attempt.year, attempt.quarter = request.plan, request.year, request.quarter
    extracts_folder(request.raw_dir)
    dashboard = request.report_folder / "dashboard.html"
    if not args.force and up_to_date(request):
        lock.tidy(request.label, request.processed_folder, request.report_folder)
        print(f"csp: {request.label} is up to date: {config.shown(dashboard)} (--force to rerun)")
        attempt.outcome, attempt.detail = runlog.UP_TO_DATE, config.shown(dashboard)
        return
    with lock.hold(request.label, request.processed_folder, request.report_folder):
        pass  # a run in progress is named now, before a kernel is started for nothing
    attempt.working = True
    from csp.run.kernel import (
        WarmKernel,  # deferred: a typo or an unchanged quarter needs no kernel
    )

    with WarmKernel(config.PROJECT_ROOT) as kernel:
        # The data kernel starts and imports its steps' stack while this imports papermill.
        from csp.run.pipeline import run_quarter  # deferred: seconds of imports

        run_quarter(args.plan, args.year, args.quarter, raw_dir=args.raw_dir, kernel=kernel)
    attempt.detail = config.shown(dashboard)


def extracts_folder(raw_dir: Path) -> None:
    """A missing extracts folder is a refusal, answered before a kernel is started."""
    if not raw_dir.is_dir():
        raise RunError(f"no extracts folder at {config.shown(raw_dir)} (give one with --raw-dir)")


def up_to_date(request: parameters.RunRequest) -> bool:
    """The last report's manifest matches the plan, code and every input file as they are now."""
    return manifest.up_to_date(
        request.as_dict(),
        request.plan_file,
        request.raw_dir,
        request.report_folder,
        request.processed_folder,
    )


def schedule(args: argparse.Namespace) -> None:
    """`csp schedule`: the crontab line or systemd units printed, never installed."""
    from csp.run import schedule as daily  # deferred: croniter is needed by this command alone

    found = daily.schedule_for(
        args.plan,
        args.at,
        args.raw_dir,
        argv0=sys.argv[0],
        python=sys.executable,
        environ=os.environ,
    )
    print(daily.part(found, args.only, dt.datetime.now()), end="")
