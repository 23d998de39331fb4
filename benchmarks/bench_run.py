"""Times a quarter's run and its parts, and prints the figures (no assertions: a benchmark, not a test).

    .venv/bin/python benchmarks/bench_run.py [--shared ../shared/data/police-uk] [--repeat 3]

Runs go to a temporary folder, so the project's reports are untouched.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import papermill

from csp import clean, config, extracts, metrics, status
from csp.periods import FinancialYear
from csp.pipeline import KERNEL_NAME, pinned_kernel, run_quarter
from csp.plan import load_plan
from csp.quality import Facts
from csp.sources import SOURCES


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def kernel_start(folder: Path) -> float:
    """Executing an empty notebook: the floor that kernel start-up puts under each step."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    notebook.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "empty.ipynb"
    nbformat.write(notebook, path)
    with pinned_kernel():
        started = time.perf_counter()
        papermill.execute_notebook(
            path, folder / "empty-out.ipynb", progress_bar=False, kernel_name=KERNEL_NAME
        )
        return time.perf_counter() - started


def engine(plan_name: str, raw: Path, year: str, quarter: int) -> dict[str, float]:
    """The library's work without notebooks: clean, measure, judge."""
    plan, fy = load_plan(plan_name), FinancialYear.parse(year)
    started = time.perf_counter()
    cleaned = clean.clean_all(plan, raw, fy, quarter)
    cleaned_at = time.perf_counter()
    values = metrics.measure_values(plan, cleaned.tables, extracts.coverage(cleaned.inventory), fy)
    measured_at = time.perf_counter()
    status.judge(plan, values, cleaned.inventory, fy, quarter)
    judged_at = time.perf_counter()
    rows = int(cleaned.inventory["rows_read"].astype(int).sum())
    return {
        "clean": cleaned_at - started,
        "measure": measured_at - cleaned_at,
        "judge": judged_at - measured_at,
        "rows": rows,
    }


def read_download(raw: Path) -> int:
    """Every month file of the download through the police.uk source and the City's area filter."""
    plan = load_plan("city-of-london")
    spec = plan.extracts["street_crime"]
    source = SOURCES.get(spec.source)
    files = [
        file
        for start in range(2018, 2022)
        for file in source.expected_files(spec, raw, FinancialYear(start), 4, [])
        if file.found
    ]
    clean.clean_files(spec, files, plan, Facts())
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=config.PROJECT_ROOT.parent / "shared" / "data" / "police-uk"
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stockton_raw = load_plan("stockton").raw_dir
    if not stockton_raw.exists():
        raise SystemExit("no sample: run `make sample` first")

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"kernel start-up (empty notebook via papermill): {kernel_start(folder):.2f} s")

        for label, plan, raw, year, quarter in (
            ("stockton 2011-12 Q2", "stockton", stockton_raw, "2011-12", 2),
            ("city-of-london 2021-22 Q2", "city-of-london", args.shared, "2021-22", 2),
        ):
            if not raw.exists():
                print(f"{label}: skipped ({raw} not found)")
                continue
            figures = engine(plan, raw, year, quarter)
            total = figures["clean"] + figures["measure"] + figures["judge"]
            print(
                f"{label}: engine in-process {total:.2f} s (clean {figures['clean']:.2f}, "
                f"measure {figures['measure']:.2f}, judge {figures['judge']:.2f}; "
                f"{figures['rows']:,} rows read)"
            )
            steps: list[str] = []

            def one_run(
                plan: str = plan,
                raw: Path = raw,
                year: str = year,
                quarter: int = quarter,
                steps: list[str] = steps,
            ) -> Path:
                steps.clear()
                return run_quarter(
                    plan,
                    year,
                    quarter,
                    raw_dir=raw,
                    processed_root=folder / "p",
                    reports_root=folder / "r",
                    progress=steps.append,
                )

            seconds, dashboard = timed(one_run, args.repeat)
            step_times = [s.split("done in ")[1] for s in steps if "done in" in s]
            size = Path(dashboard).stat().st_size
            print(
                f"{label}: csp run {seconds:.1f} s median of {args.repeat} "
                f"(steps {', '.join(step_times)}); dashboard.html {size / 1024:.0f} KiB"
            )

        if args.shared.exists():
            seconds, count = timed(lambda: read_download(args.shared), args.repeat)
            print(
                f"police.uk: reading and cleaning all {count} month files {seconds:.2f} s (median)"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (engine in-process, excluding kernels): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
