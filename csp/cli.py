"""`csp` on the command line: its arguments parsed and each command handed to the wing that does it
(`csp.run.command` for one plan, `csp.many.plans` for many; see `csp --help`). Light on imports: a
typo or an unchanged quarter is answered before pandas or papermill is imported."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from csp import __version__, config
from csp.domain import parameters
from csp.errors import CspError
from csp.init import command as initialise
from csp.many import plans as many
from csp.many.plans import SCHEDULER_ENV
from csp.run import command, runlog


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csp",
        description="Community Safety Plan performance dashboards from partner extracts.",
    )
    parser.add_argument("--version", action="version", version=f"csp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    add_run(commands)
    validate = commands.add_parser("validate", help="check a plan file and list its measures")
    validate.add_argument("--plan", required=True)

    commands.add_parser("plans", help="list the plans in plans/")
    add_init(commands)
    add_schedule(commands)

    peers = commands.add_parser(
        "peers",
        help="compare partnerships: funnel plots of one quarter's reports of several plans",
        description="Write reports/peers/YEAR/QN/peers.csv and peers.html from the reports of "
        "the plans matching PATTERN (each run first with csp run).",
    )
    peers.add_argument(
        "--plan",
        required=True,
        metavar="PATTERN",
        help="a plan's name, or a pattern over the names in plans/: 'cleveland-*'",
    )
    peers.add_argument("--year", required=True, help="the plans' year: 2011-12, or 2025")
    peers.add_argument("--quarter", required=True, help="quarter: 1-4 or Q1-Q4")
    peers.add_argument("--reports-dir", help="reports folder (default: reports/)")

    index = commands.add_parser("index", help="rebuild reports/index.html from the reports on disk")
    index.add_argument("--reports-dir", help="reports folder (default: reports/)")
    return parser


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of workers, 1 or more: {text!r}")
    return int(text)


def add_run(commands: argparse._SubParsersAction) -> None:
    """`csp run`: one plan's quarter, or many plans' on Dask."""
    run = commands.add_parser("run", help="run one quarter: clean, measure, judge, report")
    run.add_argument(
        "--plan",
        required=True,
        help="plan name (plans/<name>.yml), path to a plan file, or a pattern for many plans: "
        "'cleveland-*' (quoted)",
    )
    run.add_argument(
        "--year", help="the plan's year: financial, e.g. 2011-12, or calendar, e.g. 2025"
    )
    run.add_argument("--quarter", help="quarter: 1-4 or Q1-Q4")
    run.add_argument(
        "--latest",
        action="store_true",
        help="the latest quarter of the plan's years whose months are all in the extracts folder",
    )
    run.add_argument(
        "--raw-dir",
        help="folder of extracts, or a URL fsspec reads (s3://...; copied to data/raw/.mirrors "
        "first); default: the plan's raw_dir",
    )
    run.add_argument(
        "--force", action="store_true", help="run even if the last report's inputs are unchanged"
    )
    run.add_argument(
        "--jobs",
        type=positive_int,
        help="run the plans on a Dask LocalCluster of N worker processes (many plans: default 1)",
    )
    run.add_argument(
        "--scheduler",
        help="run the plans on an existing Dask cluster: tcp://HOST:8786 (many plans: default "
        f"${SCHEDULER_ENV})",
    )


def check_choice(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """`csp run` takes --year and --quarter, or --latest: one or the other, a usage error else;
    --jobs makes a cluster here, --scheduler names one elsewhere: not both."""
    if args.command != "run":
        return
    if args.jobs is not None and args.scheduler is not None:
        parser.error("argument --jobs: not allowed with --scheduler (its cluster has its workers)")
    if args.latest and (args.year is not None or args.quarter is not None):
        parser.error("argument --latest: not allowed with --year or --quarter")
    if not args.latest and (args.year is None or args.quarter is None):
        parser.error("run needs --year and --quarter, or --latest")


SCHEDULE_PARTS = ["cron", "service", "timer"]  # csp.run.schedule.PARTS, named here for --help


def add_schedule(commands: argparse._SubParsersAction) -> None:
    """`csp schedule` prints; installing is the analyst's choice (README: Scheduling quarters)."""
    schedule = commands.add_parser(
        "schedule",
        help="print a crontab line and systemd units that run the latest quarter each day",
        description="Print (nothing is installed) a crontab line and a systemd service and timer "
        "that run `csp run --plan PLAN --latest` each day: an unchanged quarter is up to date, a "
        "new month of data makes the next quarter's report. Every attempt is a row of "
        "reports/runs.csv.",
    )
    schedule.add_argument(
        "--plan", required=True, help="plan name, or a pattern of names: 'cleveland-*' (quoted)"
    )
    schedule.add_argument("--at", help="time of day, HH:MM, this machine's time (06:30)")
    schedule.add_argument("--raw-dir", help="folder of extracts (default: each plan's raw_dir)")
    schedule.add_argument(
        "--only", choices=SCHEDULE_PARTS, help="print just this part, as it is to be saved"
    )


def add_init(commands: argparse._SubParsersAction) -> None:
    """`csp init`: its defaults are the folders the README tells analysts to unzip into."""
    init = commands.add_parser(
        "init",
        help="write a plan for an area from a police.uk download and the ONS lookups",
        description="Write plans/PLAN.yml: every LSOA of the area in the download with its ward, "
        "and the standard police.uk measures P1-P10. Then: csp run --plan PLAN ...",
    )
    init.add_argument("plan", help="plan name (plans/<name>.yml) or path to the file to write")
    init.add_argument(
        "--police-force", required=True, help="force as police.uk names its files: cleveland"
    )
    where = init.add_mutually_exclusive_group(required=True)
    where.add_argument("--area", help="local authority or Community Safety Partnership name")
    where.add_argument(
        "--all-areas",
        action="store_true",
        help="one plan per partnership of the force: PLAN-<partnership>",
    )
    init.add_argument(
        "--year-start",
        choices=["april", "january"],
        default="april",
        help="april: financial years, 2025-26 (the default); january: calendar years, 2025",
    )
    init.add_argument(
        "--raw-dir", default="data/raw/police-uk", help="the police.uk download, unzipped"
    )
    init.add_argument(
        "--ons-dir",
        help="the ONS lookups (README: A plan for any area); default data/raw/ons, else an ons/ "
        "folder beside the download",
    )
    init.add_argument("--force", action="store_true", help="replace a plan that exists")


def run(args: argparse.Namespace) -> None:
    """A pattern matching several plans, or --jobs or --scheduler, runs them on Dask
    (`csp.many.plans`). Every attempt on a plan that exists is a row of reports/runs.csv
    (`csp.run.runlog`), up to date, refused or failed included; a plan name that names no file is a
    typo, answered, not logged."""
    plans = config.matching_plans(args.plan)
    if len(plans) > 1 or args.jobs is not None or args.scheduler is not None:
        many.run_many(args, plans)
        return
    args.plan = plans[0]
    path = parameters.existing_plan(args.plan)
    with runlog.attempt(path.stem, args.year or "", args.quarter or "") as attempt:
        command.run_one(args, attempt)


def validate(args: argparse.Namespace) -> None:
    parameters.existing_plan(args.plan)
    from csp.plan import load_plan  # deferred, as for run

    plan = load_plan(args.plan)
    print(f"{plan.path.name}: valid; {len(plan.themes)} themes, {len(plan.measures)} measures")
    for theme in plan.themes:
        for measure in theme.measures:
            print(f"  {theme.name:<16} {measure.id:<5} {measure.title}")


def index(args: argparse.Namespace) -> None:
    from csp.report.index import build_index  # deferred, as for run

    root = config.resolve(args.reports_dir) if args.reports_dir else config.REPORTS_DIR
    print(f"csp: index written to {build_index(root)}")


def plans(args: argparse.Namespace) -> None:
    print("\n".join(config.available_plans()))


COMMANDS = {
    "run": run,
    "validate": validate,
    "index": index,
    "plans": plans,
    "init": initialise.init,
    "schedule": command.schedule,
    "peers": many.compare,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_choice(parser, args)
    try:
        COMMANDS[args.command](args)
    except CspError as exc:
        print(f"csp: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("csp: interrupted; the previous report is unchanged", file=sys.stderr)
        return 130
    return 0


def entry() -> NoReturn:
    """The `csp` command: `main`, then an exit that skips the interpreter's teardown.

    Freeing the modules a run imported (papermill, nbconvert, pandas) took 0.6 s after all was
    written; the OS reclaims a process's memory at once. Every file is closed and every kernel
    stopped by then, and the streams are flushed here. Tests call `main`, which returns."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
