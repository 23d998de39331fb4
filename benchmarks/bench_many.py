"""A national run: every partnership of some forces at once, on a Dask LocalCluster.

    .venv/bin/python benchmarks/bench_many.py [--forces west-yorkshire,cleveland,...|all] [--jobs 1,2]
        [--data data/raw/bench-national-many] [--no-shared-reads]

The generator (`benchmarks/generate_police_uk.py`) writes the forces' street files for the 15 months
a 2025-26 Q1 run needs into one folder, as the police.uk download of all forces unzips (reused while
its MANIFEST.json matches). `csp init --all-areas` writes a plan per Community Safety Partnership of
each force, then, for each number of workers, `csp run --plan '<plans>/*.yml' --year 2025-26
--quarter 1 --jobs N --force` runs them all in a subprocess, its output in a temporary folder.
Figures: wall time, plans per minute, and the mean seconds of one plan's run on a worker.
`--no-shared-reads` makes each plan read its force's files itself (CSP_SHARED_READS_DIR empty).
No assertions: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate_police_uk import DEFAULT_ONS, FORCES

from csp import config

YEAR, QUARTER = "2025-26", 1
START, MONTHS = "2024-04", 15
DEFAULT_FORCES = "west-yorkshire,cleveland,durham,northumbria,south-yorkshire"


def generated(data: Path, forces: list[str]) -> Path:
    """The forces' files, written once and reused while the manifest has them (a folder of all
    forces serves any of them)."""
    manifest = data / "MANIFEST.json"
    if manifest.exists():
        found = json.loads(manifest.read_text())
        if (found["start"], len(found["months"])) == (START, MONTHS) and set(forces) <= set(
            found["forces"]
        ):
            return data
    generator = Path(__file__).with_name("generate_police_uk.py")
    command = [sys.executable, str(generator), "--out", str(data), "--start", START]
    command += ["--months", str(MONTHS), "--forces", ",".join(forces)]
    subprocess.run(command, check=True)
    return data


def environment(scratch: Path, shared_reads: bool) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(config.PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
        "CSP_PROCESSED_DIR": str(scratch / "processed"),
        "CSP_REPORTS_DIR": str(scratch / "reports"),
        "CSP_SHARED_READS_DIR": str(scratch / "shared-reads") if shared_reads else "",
    }


def write_plans(folder: Path, forces: list[str], raw: Path, ons: Path) -> int:
    """`csp init --all-areas` for each force: a plan per partnership; how many plans."""
    for force in forces:
        command = [sys.executable, "-m", "csp", "init", str(folder / f"{force}.yml")]
        command += ["--police-force", force, "--all-areas", "--raw-dir", str(raw)]
        command += ["--ons-dir", str(ons)]
        subprocess.run(command, check=True, capture_output=True, env=environment(folder, True))
    return len(list(folder.glob("*.yml")))


def run_all(plans: Path, raw: Path, jobs: int, shared_reads: bool) -> tuple[float, list[float]]:
    """`csp run` of every plan on `jobs` workers: wall seconds and each plan's seconds."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "csp", "run", "--plan", str(plans / "*.yml")]
        command += ["--year", YEAR, "--quarter", str(QUARTER), "--jobs", str(jobs)]
        command += ["--raw-dir", str(raw), "--force"]
        started = time.perf_counter()
        done = subprocess.run(
            command,
            env=environment(Path(scratch), shared_reads),
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"csp run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    rows = re.findall(r"^\S+\s+ran\s+([\d.]+)\s", done.stdout, flags=re.MULTILINE)
    return seconds, [float(s) for s in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--forces", default=DEFAULT_FORCES, help="comma list of force slugs, or all"
    )
    parser.add_argument("--jobs", default="1,2", help="comma list of worker counts")
    parser.add_argument(
        "--data", type=Path, default=config.PROJECT_ROOT / "data" / "raw" / "bench-national-many"
    )
    parser.add_argument("--ons", type=Path, default=DEFAULT_ONS)
    parser.add_argument("--no-shared-reads", action="store_true")
    args = parser.parse_args()
    forces = sorted(FORCES) if args.forces == "all" else args.forces.split(",")
    unknown = sorted(set(forces) - set(FORCES))
    if unknown:
        raise SystemExit(f"unknown forces: {', '.join(unknown)}")
    raw = generated(args.data, forces)
    with tempfile.TemporaryDirectory() as scratch:
        plans = Path(scratch) / "plans"
        plans.mkdir()
        count = write_plans(plans, forces, raw, args.ons)
        print(f"{count} plans of {len(forces)} forces, {YEAR} Q{QUARTER}", flush=True)
        print(f"{'workers':>7} {'wall':>8} {'plans/min':>9} {'mean plan':>10}")
        for jobs in (int(n) for n in args.jobs.split(",")):
            wall, each = run_all(plans, raw, jobs, not args.no_shared_reads)
            mean = sum(each) / max(1, len(each))
            print(f"{jobs:>7} {wall:>7.1f}s {count / wall * 60:>9.1f} {mean:>9.1f}s", flush=True)


if __name__ == "__main__":
    main()
