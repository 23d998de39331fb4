"""A quarter's run against its floor, and the engine's steps in process (`make bench`).

    .venv/bin/python benchmarks/bench_run.py [--repeat 5] [--shared ../shared/data/police-uk]

For each bundled quarter it runs, alternating, the floor (benchmarks/floor.py: three papermill
executions of an empty notebook and one nbconvert export, in one process) and `csp run --force`, each
as a whole process, and prints the medians and their ratio; then the engine's steps in this process
(`csp.steps`), an unchanged rerun, and a typo. Runs write to a temporary folder (CSP_PROCESSED_DIR,
CSP_REPORTS_DIR), never to the project's reports. A benchmark prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from csp import config
from csp.plan.quarter import QuarterRun
from csp.report import charts, panels
from csp.report.dashboard import Dashboard
from csp.steps import clean, measure, render

HERE = Path(__file__).resolve().parent
QUARTERS = (
    ("stockton 2011-12 Q2", "stockton", "2011-12", 2),
    ("city-of-london 2021-22 Q2", "city-of-london", "2021-22", 2),
)


def wall(command: list[str], env: dict[str, str]) -> float:
    """Wall time of a whole process, as a user waits for it."""
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def run_command(plan: str, year: str, quarter: int, raw: Path, *extra: str) -> list[str]:
    run = ["run", "--plan", plan, "--year", year, "--quarter", str(quarter), "--raw-dir", str(raw)]
    return [sys.executable, "-m", "csp", *run, *extra]


def against_floor(
    plan: str, year: str, quarter: int, raw: Path, repeat: int, env: dict[str, str], scratch: Path
) -> tuple[float, float]:
    """Median wall time of the floor and of `csp run --force`, run in turn."""
    floor_command = [sys.executable, str(HERE / "floor.py"), str(scratch / "floor")]
    floors, runs = [], []
    for _ in range(repeat):
        floors.append(wall(floor_command, env))
        runs.append(wall(run_command(plan, year, quarter, raw, "--force"), env))
    return statistics.median(floors), statistics.median(runs)


def engine_steps(
    plan: str, year: str, quarter: int, raw: Path, repeat: int, scratch: Path
) -> dict[str, float]:
    """Median time of each library step, in this process (imports already paid)."""
    run = QuarterRun.from_parameters(plan, year, quarter, raw, scratch / "engine" / plan)
    actions: dict[str, Callable[[], object]] = {
        "clean": lambda: clean.run(run),
        "measure": lambda: measure.run(run),
        "render": lambda: render.run(run),
        "charts": lambda: all_charts(run),
    }
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def all_charts(run: QuarterRun) -> list[str]:
    """Every figure of the quarter's dashboard, drawn and encoded as the render step does (the
    issue's "all of a quarter's figures"), from the measure step's files."""
    dashboard = Dashboard.from_run(run)
    figures = charts.main_figures(dashboard.values, run.plan)
    uris = []
    for theme in run.plan.themes:
        figure, _ = charts.theme_chart(
            theme,
            run.plan,
            dashboard.values,
            dashboard.statuses,
            dashboard.control_charts,
            run.year,
            run.quarter,
            figures=figures,
        )
        uris.append(panels.png_data_uri(figure))
    return uris


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        model = names[0].split(":", 1)[1].strip() if names else model
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def report_quarter(
    label: str, plan: str, year: str, quarter: int, raw: Path, args: argparse.Namespace, env: dict
) -> None:
    scratch = Path(env["CSP_REPORTS_DIR"]).parent
    floor, run = against_floor(plan, year, quarter, raw, args.repeat, env, scratch)
    print(f"{label}: csp run {run:.1f} s, floor {floor:.1f} s, ratio {run / floor:.2f}x")
    figures = engine_steps(plan, year, quarter, raw, args.repeat, scratch)
    engine = figures["clean"] + figures["measure"]
    print(
        f"{label}: engine {engine:.2f} s in process (clean {figures['clean']:.2f} s, "
        f"measure {figures['measure']:.2f} s); render {figures['render']:.2f} s (the charts "
        f"alone, data read included: {figures['charts']:.2f} s)"
    )
    unchanged = statistics.median(
        wall(run_command(plan, year, quarter, raw), env) for _ in range(args.repeat)
    )
    print(f"{label}: unchanged rerun {unchanged:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=config.PROJECT_ROOT.parent / "shared" / "data"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", choices=sorted({plan for _, plan, _, _ in QUARTERS}), help="one plan's quarter"
    )
    args = parser.parse_args()
    raws = {"stockton": config.PROJECT_ROOT / "data" / "raw" / "stockton"}
    raws["city-of-london"] = args.shared / "police-uk"
    print(f"machine: {machine()}; medians of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="csp-bench-") as scratch:
        env = {
            **os.environ,
            "CSP_PROCESSED_DIR": str(Path(scratch) / "processed"),
            "CSP_REPORTS_DIR": str(Path(scratch) / "reports"),
        }
        for label, plan, year, quarter in QUARTERS:
            if args.only and plan != args.only:
                continue
            if not raws[plan].exists():
                print(f"{label}: skipped ({raws[plan]} not found)")
                continue
            report_quarter(label, plan, year, quarter, raws[plan], args, env)
        typo = ["run", "--plan", "stockon", "--year", "2011-12", "--quarter", "2"]
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "csp", *typo], env=env, capture_output=True)
        print(f"typo (--plan stockon) answered in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
