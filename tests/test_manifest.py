"""An unchanged quarter is answered at once; any changed input, plan or code reruns it."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pyarrow as pa
import pytest

from csp import cli, config
from csp.run import pipeline
from csp.store import lock, manifest
from csp.store.manifest import Manifest

Captured = pytest.CaptureFixture[str]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_input_files_reuse_a_checksum_only_while_size_and_time_hold(tmp_path: Path) -> None:
    write(tmp_path / "2011-12" / "Q1" / "a.csv", "x\n1\n")
    first = manifest.input_files(tmp_path)
    assert list(first) == ["2011-12/Q1/a.csv"]
    size, mtime, checksum = first["2011-12/Q1/a.csv"]
    assert checksum == manifest.sha256_of(tmp_path / "2011-12" / "Q1" / "a.csv")
    stale = {"2011-12/Q1/a.csv": [size, mtime, "remembered"]}
    assert manifest.input_files(tmp_path, stale)["2011-12/Q1/a.csv"][2] == "remembered"
    moved = {"2011-12/Q1/a.csv": [size, mtime - 1, "remembered"]}
    assert manifest.input_files(tmp_path, moved)["2011-12/Q1/a.csv"][2] == checksum


def test_a_kernel_told_the_runs_checksums_hashes_only_a_file_changed_since(
    tmp_path: Path,
) -> None:
    """The run's own process hashes every input for its manifest; the data kernel is told those
    checksums (`remembering`, run there as code) and reads each file's from them while its size and
    time hold, so a file is hashed once a run, not twice."""
    path = write(tmp_path / "2011-12" / "Q1" / "b.csv", "x\n1\n")
    size, mtime, _ = manifest.input_files(tmp_path)["2011-12/Q1/b.csv"]
    told = {"2011-12/Q1/b.csv": [size, mtime, "told by the run"]}
    exec(manifest.remembering(tmp_path, told), {})  # as the kernel runs it
    assert manifest.checksum_now(tmp_path / "2011-12" / ".." / "2011-12" / "Q1" / "b.csv") == (
        "told by the run"
    )
    path.write_text("x\n22\n", encoding="utf-8")  # changed since: hashed again
    assert manifest.checksum_now(path) == manifest.sha256_of(path)


def test_same_content_ignores_times_but_not_checksums_plans_code_or_new_files(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    write(raw / "a.csv", "x\n1\n")
    plan = write(tmp_path / "p.yml", "plan: p\n")
    parameters = {"plan": "p", "year": "2011-12", "quarter": 1, "raw_dir": str(raw)}
    before = Manifest.of(parameters, plan, raw, None)
    write(raw / "a.csv", "x\n1\n")  # rewritten, same bytes
    assert Manifest.of(parameters, plan, raw, before).same_content(before)
    write(raw / "a.csv", "x\n2\n")
    assert not Manifest.of(parameters, plan, raw, before).same_content(before)
    write(raw / "a.csv", "x\n1\n")
    write(raw / "b.csv", "new\n")
    assert not Manifest.of(parameters, plan, raw, before).same_content(before)
    (raw / "b.csv").unlink()
    write(plan, "plan: p  # edited\n")
    assert not Manifest.of(parameters, plan, raw, before).same_content(before)
    other_quarter = {**parameters, "quarter": 2}
    assert not Manifest.of(other_quarter, plan, raw, before).same_content(before)


def test_a_manifest_without_its_dashboard_is_not_trusted(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write(raw / "a.csv", "x\n")
    plan = write(tmp_path / "p.yml", "plan: p\n")
    report = tmp_path / "report"
    report.mkdir()
    Manifest.of({"quarter": 1}, plan, raw, None).write(report)
    assert Manifest.read(report) is None
    write(report / "dashboard.html", "<html></html>")
    assert Manifest.read(report) == Manifest.of({"quarter": 1}, plan, raw, None)
    write(report / manifest.MANIFEST, "{not json")
    assert Manifest.read(report) is None


@pytest.fixture
def reported(
    stockton_run: SimpleNamespace, sample_raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SimpleNamespace:
    """A copy of the sample and of the Q2 report the pipeline made from it, as `make report`
    leaves them; `csp run` looks in the copy's reports folder."""
    raw = tmp_path / "raw"
    shutil.copytree(sample_raw, raw)
    reports = tmp_path / "reports"
    shutil.copytree(stockton_run.reports_root, reports)
    processed = tmp_path / "processed"
    shutil.copytree(stockton_run.processed, processed / "stockton" / "2011-12")
    monkeypatch.setattr(config, "REPORTS_DIR", reports)
    monkeypatch.setattr(config, "PROCESSED_DIR", processed)
    # The report was made from the shared sample: record the copy as its inputs.
    folder = reports / "stockton" / "2011-12" / "Q2"
    last = Manifest.read(folder)
    parameters = {**last.parameters, "raw_dir": str(raw)}
    made = Manifest.of(parameters, config.PLANS_DIR / "stockton.yml", raw, None)
    made.with_outputs(processed / "stockton" / "2011-12" / "Q2", folder).write(folder)
    runs: list[tuple] = []
    monkeypatch.setattr(pipeline, "run_quarter", lambda *a, **k: runs.append(a))
    return SimpleNamespace(raw=raw, runs=runs)


def run_args(raw: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--plan",
        "stockton",
        "--year",
        "2011-12",
        "--quarter",
        "2",
        "--raw-dir",
        str(raw),
        *extra,
    ]


def test_the_pipeline_writes_the_manifest_of_its_inputs(
    stockton_run: SimpleNamespace, sample_raw: Path
) -> None:
    last = Manifest.read(stockton_run.reports / "Q2")
    assert last.parameters == {
        "plan": "stockton",
        "year": "2011-12",
        "quarter": 2,
        "raw_dir": str(sample_raw),
    }
    assert "2011-12/Q2/police_crime.csv" in last.inputs
    assert last.code == manifest.code_fingerprint()


def test_an_unchanged_quarter_is_up_to_date(reported: SimpleNamespace, capsys: Captured) -> None:
    assert cli.main(run_args(reported.raw)) == 0
    out = capsys.readouterr().out
    assert "stockton 2011-12 Q2 is up to date" in out and "dashboard.html" in out
    assert reported.runs == []


def test_an_unchanged_quarter_still_clears_what_a_killed_run_left(
    reported: SimpleNamespace, capsys: Captured
) -> None:
    staging = lock.staging_dir(config.REPORTS_DIR / "stockton" / "2011-12" / "Q2", "dead0001")
    (staging / "clean").mkdir(parents=True)
    (staging / "clean" / "people.parquet").write_bytes(b"person ids")
    assert cli.main(run_args(reported.raw)) == 0
    assert "is up to date" in capsys.readouterr().out
    assert not staging.exists()
    assert sorted(config.PROCESSED_DIR.glob("stockton/2011-12/*")) == [
        config.PROCESSED_DIR / "stockton" / "2011-12" / quarter for quarter in ("Q1", "Q2")
    ]  # nothing made, nothing taken


def test_force_reruns_an_unchanged_quarter(reported: SimpleNamespace) -> None:
    assert cli.main(run_args(reported.raw, "--force")) == 0
    assert len(reported.runs) == 1


def test_a_changed_extract_reruns(reported: SimpleNamespace) -> None:
    with (reported.raw / "2011-12" / "Q2" / "section27.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    assert cli.main(run_args(reported.raw)) == 0
    assert len(reported.runs) == 1


def test_a_quarter_whose_processed_tables_were_deleted_reruns(reported: SimpleNamespace) -> None:
    """Processed data rebuilds from raw data and code: an analyst who deleted it gets it back."""
    shutil.rmtree(config.PROCESSED_DIR / "stockton" / "2011-12" / "Q2")
    assert cli.main(run_args(reported.raw)) == 0
    assert len(reported.runs) == 1


@pytest.mark.parametrize(
    "change",
    [
        "a processed table deleted",
        "a processed file edited",
        "the report's workbook deleted",
        "the dashboard edited",
    ],
)
def test_a_quarter_whose_outputs_were_changed_reruns(
    reported: SimpleNamespace, change: str
) -> None:
    """What the run wrote is rebuilt from raw data and code once an analyst deletes or edits any
    of it: a status edited by hand in statuses.csv is not left beside a report that disagrees."""
    processed = config.PROCESSED_DIR / "stockton" / "2011-12" / "Q2"
    report = config.REPORTS_DIR / "stockton" / "2011-12" / "Q2"
    if change == "a processed table deleted":
        next(processed.rglob("*.parquet")).unlink()
    elif change == "a processed file edited":
        statuses = processed / "statuses.csv"
        statuses.write_text(statuses.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    elif change == "the report's workbook deleted":
        (report / "statuses.xlsx").unlink()
    else:
        dashboard = report / "dashboard.html"
        dashboard.write_text(dashboard.read_text(encoding="utf-8") + "<!-- -->", encoding="utf-8")
    assert cli.main(run_args(reported.raw)) == 0
    assert len(reported.runs) == 1


def test_a_file_added_beside_the_outputs_leaves_the_quarter_up_to_date(
    reported: SimpleNamespace,
) -> None:
    (config.PROCESSED_DIR / "stockton" / "2011-12" / "Q2" / "my-notes.csv").write_text("x\n")
    assert cli.main(run_args(reported.raw)) == 0
    assert reported.runs == []


def test_a_manifest_without_its_outputs_reruns(reported: SimpleNamespace) -> None:
    """A report made before csp recorded its outputs cannot show they are intact."""
    folder = config.REPORTS_DIR / "stockton" / "2011-12" / "Q2"
    Manifest(**{**Manifest.read(folder).__dict__, "outputs": {}}).write(folder)
    assert cli.main(run_args(reported.raw)) == 0
    assert len(reported.runs) == 1


def test_a_changed_code_version_reruns(
    reported: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manifest, "__version__", "99.0")
    assert cli.main(run_args(reported.raw)) == 0
    assert len(reported.runs) == 1


def test_an_upgraded_library_reruns(
    reported: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pandas, pyarrow or matplotlib upgraded under the same code may compute or draw differently."""
    upgraded = manifest.library_versions().replace(f"pandas {pd.__version__}", "pandas 99.0")
    monkeypatch.setattr(manifest, "library_versions", lambda: upgraded)
    assert cli.main(run_args(reported.raw)) == 0
    assert len(reported.runs) == 1


def test_the_library_versions_are_the_installed_ones() -> None:
    versions = manifest.library_versions()
    assert f"pandas {pd.__version__}" in versions
    assert f"pyarrow {pa.__version__}" in versions
    assert f"matplotlib {matplotlib.__version__}" in versions
    assert f"python {platform.python_version()}" in versions


def test_up_to_date_answers_without_importing_the_pipeline(
    reported: SimpleNamespace, tmp_path: Path
) -> None:
    """In a fresh process: the unchanged-quarter answer never loads pandas or papermill."""
    code = (
        "import sys; from csp import cli, config; from pathlib import Path; "
        f"config.REPORTS_DIR = Path({str(config.REPORTS_DIR)!r}); "
        f"config.PROCESSED_DIR = Path({str(config.PROCESSED_DIR)!r}); "
        f"code = cli.main({run_args(reported.raw)!r}); "
        "print(sorted(m for m in ('pandas', 'papermill', 'matplotlib') if m in sys.modules)); "
        "sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "is up to date" in done.stdout
    assert done.stdout.strip().endswith("[]")


def test_a_failed_run_names_the_extracts_that_changed_while_it_ran(tmp_path: Path) -> None:
    """A step can fail without naming the file behind it (a mapped file cut short by a copy stops
    the kernel): the run's message then says which extracts changed since it started."""
    raw = tmp_path / "raw"
    (raw / "2011-12" / "Q1").mkdir(parents=True)
    for name in ("marac.csv", "section27.csv", "police_crime.csv"):
        (raw / "2011-12" / "Q1" / name).write_text("Ref,Date\n1,01/04/2011\n", encoding="utf-8")
    started = Manifest({}, "", "", manifest.input_files(raw))
    assert started.changed_since(raw) == []
    assert pipeline._changed_during(raw, started) == ""
    with (raw / "2011-12" / "Q1" / "marac.csv").open("a", encoding="utf-8") as handle:
        handle.write("2,02/04/2011\n")
    (raw / "2011-12" / "Q1" / "section27.csv").unlink()
    assert started.changed_since(raw) == ["2011-12/Q1/marac.csv", "2011-12/Q1/section27.csv"]
    said = pipeline._changed_during(raw, started)
    assert "marac.csv" in said and "section27.csv" in said and "police_crime.csv" not in said
    assert "run again once the extracts are complete" in said


def test_a_file_changed_during_a_run_leaves_its_quarter_to_run_again(tmp_path: Path) -> None:
    """The report may have been made from either version of a file replaced mid-run: the manifest
    the run writes leaves it out, so the next run reads it again instead of calling the quarter up
    to date (and stays up to date once nothing moves)."""
    raw, plan, report = tmp_path / "raw", tmp_path / "plan.yml", tmp_path / "report"
    processed = tmp_path / "processed"
    (raw / "2011-12").mkdir(parents=True)
    processed.mkdir()
    (processed / "statuses.csv").write_text("measure_id\n", encoding="utf-8")
    plan.write_text("plan: x\n", encoding="utf-8")
    for name in ("marac.csv", "section27.csv"):
        (raw / "2011-12" / name).write_text("Ref\n1\n", encoding="utf-8")
    started = Manifest.of({"quarter": 1}, plan, raw, None)
    report.mkdir()
    (report / "dashboard.html").write_text("<html></html>", encoding="utf-8")
    started.settled(raw).with_outputs(processed, report).write(report)
    assert manifest.up_to_date({"quarter": 1}, plan, raw, report, processed)  # nothing moved
    (raw / "2011-12" / "marac.csv").write_text("Ref\n1\n2\n", encoding="utf-8")  # mid-run
    started.settled(raw).with_outputs(processed, report).write(report)
    assert list(Manifest.read(report).inputs) == ["2011-12/section27.csv"]
    assert not manifest.up_to_date({"quarter": 1}, plan, raw, report, processed)
    rerun = Manifest.of({"quarter": 1}, plan, raw, Manifest.read(report)).settled(raw)
    rerun.with_outputs(processed, report).write(report)
    assert manifest.up_to_date({"quarter": 1}, plan, raw, report, processed)


def test_latest_s_choice_is_recalled_only_for_the_same_key(tmp_path: Path) -> None:
    raw, plan = tmp_path / "raw", write(tmp_path / "plan.yml", "plan: x\n")
    write(raw / "2011-12" / "Q1" / "marac.csv", "Ref\n1\n")
    memo = tmp_path / "processed" / "x" / manifest.LATEST
    key = manifest.latest_key(plan, raw)
    assert manifest.recalled_latest(memo, key) is None  # none kept yet
    manifest.record_latest(memo, key, ("2011-12", 1, "Q1 (April to June 2011)"))
    assert manifest.recalled_latest(memo, key) == ("2011-12", 1, "Q1 (April to June 2011)")
    write(raw / "2011-12" / "Q2" / "marac.csv", "Ref\n2\n")
    assert manifest.recalled_latest(memo, manifest.latest_key(plan, raw)) is None
    memo.write_text("{not json", encoding="utf-8")
    assert manifest.recalled_latest(memo, key) is None
    assert list(memo.parent.iterdir()) == [memo]  # no temporary file left


def test_latest_s_choice_in_a_folder_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocked = write(tmp_path / "a-file", "")
    manifest.record_latest(blocked / manifest.LATEST, {}, ("2011-12", 1, "Q1"))
    assert blocked.read_text() == ""
