"""`csp` on the command line: a thin layer over the library (see `csp --help`)."""

from __future__ import annotations

import argparse
import sys

from csp import __version__, config, lock, parameters
from csp.errors import CspError, ParameterError, RunError
from csp.manifest import Manifest


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csp",
        description="Community Safety Plan performance dashboards from partner extracts.",
    )
    parser.add_argument("--version", action="version", version=f"csp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one quarter: clean, measure, judge, report")
    run.add_argument(
        "--plan", required=True, help="plan name (plans/<name>.yml) or path to a plan file"
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
    run.add_argument("--raw-dir", help="folder of extracts (default: the plan's raw_dir)")
    run.add_argument(
        "--force", action="store_true", help="run even if the last report's inputs are unchanged"
    )

    validate = commands.add_parser("validate", help="check a plan file and list its measures")
    validate.add_argument("--plan", required=True)

    commands.add_parser("plans", help="list the plans in plans/")
    add_init(commands)

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


def check_choice(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """`csp run` takes --year and --quarter, or --latest: one or the other, a usage error else."""
    if args.command != "run":
        return
    if args.latest and (args.year is not None or args.quarter is not None):
        parser.error("argument --latest: not allowed with --year or --quarter")
    if not args.latest and (args.year is None or args.quarter is None):
        parser.error("run needs --year and --quarter, or --latest")


def latest(args: argparse.Namespace) -> tuple[str, int]:
    """The quarter --latest picks, printed. The plan and its sources are needed to choose (pandas
    comes with them); the pipeline is still imported only after the choice."""
    parameters.existing_plan(args.plan)
    from csp.latest import latest_quarter  # deferred, as for run
    from csp.periods import quarter_label
    from csp.plan import load_plan

    plan = load_plan(args.plan)
    raw_dir = config.resolve(args.raw_dir) if args.raw_dir else plan.raw_dir
    if not raw_dir.is_dir():
        raise RunError(f"no extracts folder at {config.shown(raw_dir)} (give one with --raw-dir)")
    found = latest_quarter(plan, raw_dir)
    if found is None:
        years = ", ".join(str(year) for year in plan.years)
        raise RunError(
            f"no quarter of {plan.name}'s years ({years}) has all its months in "
            f"{config.shown(raw_dir)}"
        )
    year, quarter = found
    print(f"csp: latest quarter with all its months: {year} {quarter_label(year, quarter)}")
    return str(year), quarter


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
    """Arguments are checked, and an unchanged quarter answered, before the pipeline (papermill,
    pandas) is imported: a typo or a rerun of the same inputs costs no seconds of imports. A rerun
    with nothing to do still clears what a killed run left, unless a run is live."""
    if args.latest:
        args.year, args.quarter = latest(args)
    request = parameters.check_run(args.plan, args.year, args.quarter, args.raw_dir)
    if not args.force and up_to_date(request):
        lock.tidy(request.label, request.processed_folder, request.report_folder)
        dashboard = request.report_folder / "dashboard.html"
        print(f"csp: {request.label} is up to date: {config.shown(dashboard)} (--force to rerun)")
        return
    with lock.hold(request.label, request.processed_folder, request.report_folder):
        pass  # a run in progress is named now, before a kernel is started for nothing
    from csp.kernel import WarmKernel  # deferred: a typo or an unchanged quarter needs no kernel

    with WarmKernel(config.PROJECT_ROOT) as kernel:
        # The kernel starts and imports the steps' stack while this process imports papermill.
        from csp.pipeline import run_quarter  # deferred: seconds of imports

        run_quarter(args.plan, args.year, args.quarter, raw_dir=args.raw_dir, kernel=kernel)


def up_to_date(request: parameters.RunRequest) -> bool:
    """The last report's manifest matches the plan, code and every input file as they are now."""
    last = Manifest.read(request.report_folder)
    if last is None or not request.raw_dir.is_dir():
        return False
    now = Manifest.of(request.as_dict(), request.plan_file, request.raw_dir, known=last)
    return now.same_content(last)


def validate(args: argparse.Namespace) -> None:
    parameters.existing_plan(args.plan)
    from csp.plan import load_plan  # deferred, as for run

    plan = load_plan(args.plan)
    print(f"{plan.path.name}: valid; {len(plan.themes)} themes, {len(plan.measures)} measures")
    for theme in plan.themes:
        for measure in theme.measures:
            print(f"  {theme.name:<16} {measure.id:<5} {measure.title}")


def index(args: argparse.Namespace) -> None:
    from csp.index import build_index  # deferred, as for run

    root = config.resolve(args.reports_dir) if args.reports_dir else config.REPORTS_DIR
    print(f"csp: index written to {build_index(root)}")


def peers(args: argparse.Namespace) -> None:
    """The plans matching the pattern, and the year and quarter as each plan reads them, are
    checked before the comparison's stack (pandas, matplotlib, scipy) is imported."""
    names = config.matching_plans(args.plan)
    years = {parameters.check_run(name, args.year, args.quarter).year for name in names}
    if len(years) > 1:
        raise ParameterError(
            f"the plans matching {args.plan!r} read {args.year} as different years "
            f"({', '.join(sorted(years))}): compare plans whose years start in the same month"
        )
    from csp.peers import write_peers  # deferred, as for run

    root = config.resolve(args.reports_dir) if args.reports_dir else config.REPORTS_DIR
    page = write_peers(names, years.pop(), parameters.parse_quarter(args.quarter), root)
    print(f"csp: {len(names)} plans compared: {config.shown(page)} (and peers.csv beside it)")


def plans(args: argparse.Namespace) -> None:
    print("\n".join(config.available_plans()))


def init(args: argparse.Namespace) -> None:
    from csp import scaffold  # deferred, as for run: pandas and pyarrow

    request = scaffold.InitRequest(
        plan=args.plan,
        police_force=args.police_force,
        area=args.area,
        all_areas=args.all_areas,
        year_start=args.year_start,
        raw_dir=config.resolve(args.raw_dir),
        ons_dir=scaffold.ons_folder(args.ons_dir, config.resolve(args.raw_dir)),
        overwrite=args.force,
    )
    for written in scaffold.init(request):
        print(scaffold.summary(written))


COMMANDS = {
    "run": run,
    "validate": validate,
    "index": index,
    "plans": plans,
    "init": init,
    "peers": peers,
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


if __name__ == "__main__":
    sys.exit(main())
