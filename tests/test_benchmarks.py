"""The benchmarks' own parts, which no other test runs: the national generator is seeded, and the
floors `make bench-national` divides by read the same rows csp reads. The checked-text floor must
keep exactly the rows csp's cleaning keeps, or its ratio would compare unlike work."""

from __future__ import annotations

import hashlib
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest
from shared_data import shared_path

from csp import config
from csp.engine.clean import clean_all
from csp.plan.quarter import QuarterRun

FORCE = "city-of-london"  # the smallest force: about 9,000 rows a year at scale 1


@pytest.fixture(scope="module")
def benchmarks() -> tuple[ModuleType, ModuleType]:
    """benchmarks/generate_police_uk.py and bench_national.py, imported as the Makefile runs them
    (from their own folder: they are scripts, not part of the package)."""
    folder = str(config.PROJECT_ROOT / "benchmarks")
    sys.path.insert(0, folder)
    try:
        return importlib.import_module("generate_police_uk"), importlib.import_module(
            "bench_national"
        )
    finally:
        sys.path.remove(folder)


def generate(generator: ModuleType, out: Path, *options: str) -> list[Path]:
    generator.main(["--out", str(out), "--forces", FORCE, "--ons", str(ons()), *options])
    return sorted(out.glob("*/*-street.csv"))


def ons() -> Path:
    return shared_path("data", "ons")


def digests(files: list[Path], root: Path) -> dict[str, str]:
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_the_national_generator_is_seeded(
    benchmarks: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    generator, _ = benchmarks
    first = generate(generator, tmp_path / "a", "--months", "2", "--seed", "7")
    again = generate(generator, tmp_path / "b", "--months", "2", "--seed", "7")
    other = generate(generator, tmp_path / "c", "--months", "2", "--seed", "8")
    assert len(first) == 2
    assert digests(first, tmp_path / "a") == digests(again, tmp_path / "b")
    assert digests(first, tmp_path / "a").keys() == digests(other, tmp_path / "c").keys()
    assert digests(first, tmp_path / "a") != digests(other, tmp_path / "c")


def test_the_national_floors_read_and_keep_what_csp_does(
    benchmarks: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    generator, bench = benchmarks
    files = generate(generator, tmp_path / "raw", "--start", bench.START, "--months", "15")
    plan = bench.write_plan(tmp_path, FORCE, ons())
    run = QuarterRun.from_parameters(
        str(plan), bench.YEAR, bench.QUARTER, tmp_path / "raw", tmp_path / "processed"
    )
    cleaned = clean_all(run.plan, run.raw_dir, run.year, run.quarter)
    read = cleaned.inventory["rows_read"].astype(int).sum()
    kept = len(cleaned.tables["street_crime"])
    assert 0 < kept < read  # the generator puts rows outside the area and with no location
    assert bench.bare_read(files) == read
    assert bench.encoded_read(files) == read
    assert bench.checked_text(files, run.plan.lsoas) == kept
