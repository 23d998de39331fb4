"""National volume: one large force's police.uk files through a real quarter, at several scales.

    .venv/bin/python benchmarks/bench_national.py [--scales 1,5,20] [--force metropolitan]
        [--data data/raw/bench-national] [--repeat 2]

For each scale the generator (`benchmarks/generate_police_uk.py`) writes the force's street files for
the 15 months a 2025-26 Q1 run needs (baseline 2024-25 whole, 2024-04..2025-06), under `--data`
(ignored by git; reused when its MANIFEST.json matches). A temporary plan covers every LSOA of the
force's local authorities, with its 2015 ward, and counts a handful of crime types (two with top items
and breakdowns). Figures, per scale:

- bare read: `pyarrow.csv.read_csv` of the same files, every column as text (the floor);
- encoded read: the same, with the repetitive columns parsed into dictionaries (as csp parses them)
  and stacked into one pandas frame of categoricals, nothing else: the floor of the form the engine
  works on, and its ratio to the bare read;
- checked text: the bare read, then the clean's row checks done in Arrow on the text (blank rows,
  each file's own month, known crime types, no location, the plan's LSOAs) and the kept rows taken,
  file by file, with no encoding and no frame: the floor of the other design, cleaning in Arrow
  and dictionary-encoding only when the Parquet is written;
- read and clean: `csp.engine.clean.clean_all` in this process (read, check, clean, completeness), and its
  ratio to the floor;
- clean step: `csp.steps.clean` in this process (the above, then Parquet and the step's CSVs
  written), and its ratio to the floor. Both as a plan's first run: no read kept by an earlier run
  of the same files (`csp.sources.shared_reads` is off for them);
- kept read: the clean step again, loading the read an earlier run kept (as the second and later
  plans of a force do);
- measure: `csp.steps.measure` in this process (monthly values, judgement, comments);
- whole run: `python -m csp run ... --force` in a subprocess, output in a temporary folder
  (CSP_PROCESSED_DIR, CSP_REPORTS_DIR), with the peak of the summed RSS of that process and all its
  descendants (the three notebook kernels included), sampled every 50 ms from /proc.

Times are the fastest of `--repeat` tries and memory the highest (the machine is shared); the peak
is sampled, so a spike shorter than 50 ms can be missed. No assertions: a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import scipy.special  # noqa: F401  (loaded up front: the first measure step would pay for it)
import yaml
from generate_police_uk import DEFAULT_ONS, FORCES

from csp import config
from csp.engine.clean import clean_all
from csp.plan.quarter import QuarterRun
from csp.sources.police_uk import KNOWN_TYPES, NO_LOCATION
from csp.steps import clean as clean_step
from csp.steps import measure as measure_step

YEAR, QUARTER = "2025-26", 1
START, MONTHS = "2024-04", 15  # the baseline year 2024-25 and 2025-26 Q1
PAGE = os.sysconf("SC_PAGE_SIZE")
ENCODED = pa.dictionary(pa.int32(), pa.string())
MEASURES = (  # id, crime type, top n by (None: the total only)
    ("N1", "Anti-social behaviour", ("ward", 3)),
    ("N2", "Violence and sexual offences", None),
    ("N3", "Burglary", None),
    ("N4", "Criminal damage and arson", ("location", 5)),
    ("N5", "Drugs", None),
    ("N6", "Theft from the person", None),
)


@dataclass
class Figures:
    rows: int
    bare: float
    encoded: float
    checked: float
    read_clean: float
    clean: float
    kept: float
    measure: float
    run: float
    peak_mib: float


def generated(data: Path, force: str, scale: float) -> Path:
    """The force's files at `scale`, written once and reused while the manifest matches."""
    out = data / f"{force}-x{scale:g}"
    manifest = out / "MANIFEST.json"
    if manifest.exists():
        found = json.loads(manifest.read_text())
        if (found["scale"], found["start"], len(found["months"]), found["forces"]) == (
            scale,
            START,
            MONTHS,
            [force],
        ):
            return out
    generator = Path(__file__).with_name("generate_police_uk.py")
    command = [sys.executable, str(generator), "--out", str(out), "--scale", f"{scale:g}"]
    command += ["--start", START, "--months", str(MONTHS), "--forces", force]
    subprocess.run(command, check=True)
    return out


def write_plan(folder: Path, force: str, ons: Path) -> Path:
    """A plan for the force's whole area: every LSOA of its local authorities, with its ward."""
    pfa = pd.read_csv(ons / "ons_lad19_to_csp19_to_pfa19_lookup_EW.csv", dtype=str)
    lads = set(pfa.loc[pfa["PFA19NM"] == FORCES[force][0], "LAD19CD"])
    lsoa = pd.read_csv(ons / "ons_lsoa11_to_wd15_lookup_EW.csv", dtype=str)
    lsoa = lsoa[lsoa["LAD15CD"].isin(lads)].drop_duplicates("LSOA11CD").sort_values("LSOA11CD")
    measures = []
    for measure_id, crime_type, top in MEASURES:
        metric: dict[str, object] = {
            "kind": "count",
            "sources": ["street_crime"],
            "where": {"crime_type": crime_type},
            "unit": "crimes",
        }
        if top is not None:
            by, n = top
            metric["top"] = {"n": n, "by": [by]}
            metric["breakdown"] = {"by": [by]}
        title = f"Reduce {crime_type.lower()}"
        measures.append(
            {
                "id": measure_id,
                "title": title,
                "direction": "reduce",
                "target": "baseline",
                "metric": metric,
            }
        )
    plan = {
        "plan": f"bench-{force}",
        "partnership": f"{FORCES[force][1]} area (benchmark)",
        "area": FORCES[force][0],
        "years": ["2024-25", YEAR],
        "lsoas": dict(zip(lsoa["LSOA11CD"], lsoa["WD15NM"], strict=True)),
        "extracts": {
            "street_crime": {
                "title": "Police.uk street-level crime and ASB",
                "partner": FORCES[force][1],
                "source": "police_uk",
                "options": {"force": force},
            }
        },
        "themes": [{"theme": "Crime", "measures": measures}],
    }
    path = folder / f"bench-{force}.yml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants, from /proc (processes come and go)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(parents.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
    return total


def whole_run(plan: Path, raw: Path, scratch: Path) -> tuple[float, float]:
    """`csp run` in a subprocess: wall seconds and the peak MiB of its process tree."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(config.PROJECT_ROOT), os.environ.get("PYTHONPATH")])
        ),
        "CSP_PROCESSED_DIR": str(scratch / "processed"),
        "CSP_REPORTS_DIR": str(scratch / "reports"),
    }
    command = [sys.executable, "-m", "csp", "run", "--plan", str(plan), "--year", YEAR]
    command += ["--quarter", str(QUARTER), "--raw-dir", str(raw), "--force"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"csp run failed ({process.returncode}):\n{output}")
    return seconds, peak / 2**20


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig") as handle:
        return handle.readline().rstrip("\r\n").split(",")


def text_table(path: Path) -> pa.Table:
    """One file as pyarrow reads it with every column as text."""
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(header_of(path), pa.string()))
    return pacsv.read_csv(path, convert_options=options)


def bare_read(files: list[Path]) -> int:
    """The floor: pyarrow reads each file with every column as text, nothing else."""
    return sum(text_table(path).num_rows for path in files)


def encoded_read(files: list[Path]) -> int:
    """The bare read into the form csp cleans: dictionaries for all but the crime IDs, one frame."""
    tables = []
    for path in files:
        types = {h: pa.string() if h == "Crime ID" else ENCODED for h in header_of(path)}
        options = pacsv.ConvertOptions(column_types=types)
        tables.append(pacsv.read_csv(path, convert_options=options))
    return len(pa.concat_tables(tables).to_pandas(self_destruct=True))


def checked_text(files: list[Path], lsoas: Collection[str]) -> int:
    """The bare read, each file's rows checked as cleaning checks them and the kept rows taken."""
    inside, known = pa.array(sorted(lsoas)), pa.array(KNOWN_TYPES)
    kept = 0
    for path in files:
        table = text_table(path)
        blank = functools.reduce(pc.and_, [pc.equal(column, "") for column in table.columns])
        month, lsoa = table.column("Month"), table.column("LSOA code")
        listed = pc.and_(
            pc.equal(month, path.name[:7]), pc.is_in(table.column("Crime type"), known)
        )
        if not pc.all(pc.or_(blank, listed)).as_py():
            raise SystemExit(f"{path}: a row of another month or an unknown crime type")
        located = pc.invert(
            pc.or_(pc.equal(lsoa, ""), pc.equal(table.column("Location"), NO_LOCATION))
        )
        keep = pc.and_(pc.and_(pc.invert(blank), located), pc.is_in(lsoa, inside))
        kept += table.filter(keep).num_rows
    return kept


def fastest(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def measure_scale(plan: Path, raw: Path, repeat: int) -> Figures:
    """Every figure for one scale's files."""
    seconds, peak = [], []
    for _ in range(repeat):  # first, while this process holds no tables
        with tempfile.TemporaryDirectory() as scratch:
            wall, mib = whole_run(plan, raw, Path(scratch))
            seconds.append(wall)
            peak.append(mib)
    files = sorted(raw.glob("*/*-street.csv"))
    rows = bare_read(files)
    bare, encoded, checked, read_clean, clean, kept, measure = [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        run = QuarterRun.from_parameters(str(plan), YEAR, QUARTER, raw, Path(scratch) / "p")

        def read_clean_all() -> object:
            return clean_all(run.plan, run.raw_dir, run.year, run.quarter)

        for _ in range(repeat):  # the floor and the steps side by side: the machine is shared
            bare.append(fastest(lambda: bare_read(files), 1))
            encoded.append(fastest(lambda: encoded_read(files), 1))
            checked.append(fastest(lambda: checked_text(files, run.plan.lsoas), 1))
            with shared_reads_in(""):
                read_clean.append(fastest(read_clean_all, 1))
                clean.append(fastest(lambda: clean_step.run(run), 1))
        with shared_reads_in(str(Path(scratch) / "kept")):
            clean_step.run(run)
            kept.append(fastest(lambda: clean_step.run(run), repeat))
        measure.append(fastest(lambda: measure_step.run(run), repeat))
    return Figures(
        rows,
        min(bare),
        min(encoded),
        min(checked),
        min(read_clean),
        min(clean),
        min(kept),
        min(measure),
        min(seconds),
        max(peak),
    )


@contextlib.contextmanager
def shared_reads_in(folder: str) -> Iterator[None]:
    """CSP_SHARED_READS_DIR set for the block ('' turns kept reads off), as it was after."""
    before = os.environ.get("CSP_SHARED_READS_DIR")
    os.environ["CSP_SHARED_READS_DIR"] = folder
    try:
        yield
    finally:
        if before is None:
            del os.environ["CSP_SHARED_READS_DIR"]
        else:
            os.environ["CSP_SHARED_READS_DIR"] = before


def report(figures: dict[float, Figures]) -> None:
    """The table, and whether time and memory grow no faster than the rows."""
    print(
        f"{'scale':>5} {'rows':>12} {'bare read':>10} {'encoded':>8} {'ratio':>6} "
        f"{'checked':>8} {'ratio':>6} "
        f"{'read+clean':>11} {'ratio':>6} {'clean step':>11} {'ratio':>6} {'kept read':>10} "
        f"{'measure':>8} {'whole run':>10} "
        f"{'peak MiB':>9}"
    )
    for scale, f in figures.items():
        print(
            f"{scale:>5g} {f.rows:>12,} {f.bare:>9.2f}s {f.encoded:>7.2f}s "
            f"{f.encoded / f.bare:>6.2f} {f.checked:>7.2f}s {f.checked / f.bare:>6.2f} "
            f"{f.read_clean:>10.2f}s "
            f"{f.read_clean / f.bare:>6.2f} {f.clean:>10.2f}s {f.clean / f.bare:>6.2f} "
            f"{f.kept:>9.2f}s {f.measure:>7.2f}s {f.run:>9.1f}s {f.peak_mib:>9.0f}"
        )
    scales = sorted(figures)
    if len(scales) < 2:
        return
    low, high = figures[scales[0]], figures[scales[-1]]
    growth = high.rows / low.rows
    for name in ("read_clean", "clean", "measure", "run", "peak_mib"):
        factor = getattr(high, name) / getattr(low, name)
        verdict = (
            "close to linear or better"
            if factor <= 1.25 * growth
            else "faster growth than the rows"
        )
        print(f"{name}: x{factor:.1f} for x{growth:.1f} rows ({verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,5,20", help="comma list of generator scales")
    parser.add_argument("--force", default="metropolitan", choices=sorted(FORCES))
    parser.add_argument(
        "--data", type=Path, default=config.PROJECT_ROOT / "data" / "raw" / "bench-national"
    )
    parser.add_argument("--ons", type=Path, default=DEFAULT_ONS)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as scratch:
        plan = write_plan(Path(scratch), args.force, args.ons)
        for scale in (float(s) for s in args.scales.split(",")):
            raw = generated(args.data, args.force, scale)
            figures[scale] = measure_scale(plan, raw, args.repeat)
            print(f"scale {scale:g}: {figures[scale]}", flush=True)
    report(figures)


if __name__ == "__main__":
    main()
