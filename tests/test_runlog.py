"""reports/runs.csv: every attempt of `csp run` is one well-formed row, however many processes write
at once and whatever the outcome; and `csp run --latest` twice does the work once."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from calendar_plan import NoKernel, write_calendar_plan
from shared_data import shared_path

from csp import cli, config
from csp.errors import CspError, RunError, RunInProgress
from csp.run import kernel, pipeline, runlog
from csp.store import lock

Captured = pytest.CaptureFixture[str]


def read_log(reports: Path) -> list[dict[str, str]]:
    with (reports / runlog.RUNS_CSV).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(runlog.COLUMNS)
    assert all(len(row) == len(runlog.COLUMNS) for row in rows)
    return [dict(zip(runlog.COLUMNS, row, strict=True)) for row in rows[1:]]


# the file -----------------------------------------------------------------------------------------


def test_rows_follow_one_header_with_time_seconds_and_detail(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    runlog.record("stockton", "2011-12", 2, runlog.RAN, 12.34, "reports/x.html", tmp_path)
    runlog.record("stockton", "2011-12", "2", runlog.UP_TO_DATE, 0.04, reports_root=tmp_path)
    rows = read_log(tmp_path)
    assert [(r["plan"], r["year"], r["quarter"], r["outcome"]) for r in rows] == [
        ("stockton", "2011-12", "2", "ran"),
        ("stockton", "2011-12", "2", "up_to_date"),
    ]
    assert [r["seconds"] for r in rows] == ["12.3", "0.0"]
    assert [r["detail"] for r in rows] == ["reports/x.html", ""]
    started = dt.datetime.fromisoformat(rows[0]["time"])
    assert started.utcoffset() == dt.timedelta(0)
    # The first row started 12.34 s before it was written.
    assert before - dt.timedelta(seconds=14) <= started <= before


def test_detail_is_one_line_of_text_a_spreadsheet_will_not_run(tmp_path: Path) -> None:
    detail = '=HYPERLINK("http://example.com","x"), then\na second line, "quoted"'
    runlog.record("=cmd|' /C calc'!A0", "2025", 1, runlog.FAILED, 1.0, detail, tmp_path)
    runlog.record("p", "2025", 1, runlog.FAILED, 1.0, "x" * 2000, tmp_path)
    lines = (tmp_path / runlog.RUNS_CSV).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    first, second = read_log(tmp_path)
    assert first["plan"] == "'=cmd|' /C calc'!A0"
    assert first["detail"] == "'" + detail.replace("\n", " ")
    assert len(second["detail"]) == runlog.DETAIL_LIMIT and second["detail"].endswith("…")


def test_an_unknown_outcome_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown run outcome 'done'"):
        runlog.record("p", "2025", 1, "done", 1.0, reports_root=tmp_path)
    assert not (tmp_path / runlog.RUNS_CSV).exists()


def test_a_row_a_dead_writer_left_unfinished_does_not_swallow_the_next(tmp_path: Path) -> None:
    runlog.record("p", "2025", 1, runlog.RAN, 1.0, reports_root=tmp_path)
    with (tmp_path / runlog.RUNS_CSV).open("a", encoding="utf-8") as handle:
        handle.write("2025-01-01T00:00:00Z,p,2025,1,ra")  # the disk filled mid-row
    runlog.record("p", "2025", 2, runlog.RAN, 1.0, reports_root=tmp_path)
    with (tmp_path / runlog.RUNS_CSV).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[-1][2:5] == ["2025", "2", "ran"]
    assert rows[-2] == ["2025-01-01T00:00:00Z", "p", "2025", "1", "ra"]


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from csp.run import runlog
    writer, rows, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    while not (folder / "go").exists():
        time.sleep(0.001)
    for number in range(rows):
        detail = f"writer {writer} row {number}, " + "x" * 300
        runlog.record(f"plan-{writer}", "2025", 1, runlog.RAN, 1.5, detail, folder / "reports")
    """
)


def test_processes_writing_at_once_leave_exactly_their_rows(tmp_path: Path) -> None:
    """Several processes start on an empty log together: one header, every row whole, none lost."""
    writers, rows = 6, 40
    env = {**os.environ, "PYTHONPATH": str(config.PROJECT_ROOT)}
    started = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(w), str(rows), str(tmp_path)], env=env)
        for w in range(writers)
    ]
    (tmp_path / "go").touch()
    assert [process.wait(timeout=120) for process in started] == [0] * writers
    logged = read_log(tmp_path / "reports")
    assert len(logged) == writers * rows
    details = sorted(row["detail"].split(",")[0] for row in logged)
    expected = sorted(f"writer {w} row {n}" for w in range(writers) for n in range(rows))
    assert details == expected
    assert {row["plan"] for row in logged} == {f"plan-{w}" for w in range(writers)}


# an attempt ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "working", "outcome", "detail"),
    [
        (RunInProgress("a run of p 2025 Q1 is in progress (pid 7)"), True, "locked", "pid 7"),
        (RunInProgress("a run of p 2025 Q1 is in progress (pid 7)"), False, "locked", "pid 7"),
        (CspError("no quarter of p's years has all its months"), False, "refused", "no quarter"),
        (RunError("02_measures failed: ValueError: x"), True, "failed", "02_measures failed"),
        (OSError(28, "No space left on device"), False, "failed", "OSError: [Errno 28] No space"),
        (KeyboardInterrupt(), True, "failed", "interrupted"),
    ],
)
def test_an_attempt_that_raises_is_logged_and_raises_the_same_error(
    tmp_path: Path, error: BaseException, working: bool, outcome: str, detail: str
) -> None:
    with pytest.raises(type(error)) as raised, runlog.attempt("p", "2025", 1, tmp_path) as entry:
        entry.working = working
        raise error
    assert raised.value is error
    (row,) = read_log(tmp_path)
    assert (row["plan"], row["year"], row["quarter"], row["outcome"]) == ("p", "2025", "1", outcome)
    assert row["detail"].startswith(detail) or detail in row["detail"]


def test_an_attempt_that_ends_is_ran_unless_it_says_otherwise(tmp_path: Path) -> None:
    with runlog.attempt("p", reports_root=tmp_path) as entry:
        entry.year, entry.quarter = "2025", 3  # as --latest learns them
    with runlog.attempt("p", "2025", 3, tmp_path) as entry:
        entry.outcome, entry.detail = runlog.UP_TO_DATE, "reports/p/2025/Q3/dashboard.html"
    assert [(r["year"], r["quarter"], r["outcome"]) for r in read_log(tmp_path)] == [
        ("2025", "3", "ran"),
        ("2025", "3", "up_to_date"),
    ]


def test_a_log_that_cannot_be_written_changes_nothing_but_a_warning(
    tmp_path: Path, capsys: Captured
) -> None:
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the reports folder should be", encoding="utf-8")
    with runlog.attempt("p", "2025", 1, blocked):
        pass
    with (
        pytest.raises(RunError, match="the run's own error"),
        runlog.attempt("p", "2025", 1, blocked),
    ):
        raise RunError("the run's own error")
    with runlog.attempt("p", "2025", 1, tmp_path) as entry:
        entry.outcome = "finished"  # not a word of the vocabulary: a warning, not a crash
    err = capsys.readouterr().err
    assert err.count("csp: warning: the run log") == 3
    assert "unknown run outcome 'finished'" in err


# `csp run` ----------------------------------------------------------------------------------------


@pytest.fixture
def logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """A calendar-year plan with extracts for 2024 Q1 to 2025 Q3, and `csp run` with a pipeline
    that records what it was asked (or raises what a test sets)."""
    plan = write_calendar_plan(tmp_path, "logged")
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "processed")
    state = SimpleNamespace(plan=plan, raw=tmp_path / "raw", runs=[], fails=None)

    def run_quarter(plan: str, year: str, quarter: int | str, **kwargs: object) -> Path:
        state.runs.append((year, quarter))
        if state.fails is not None:
            raise state.fails
        return config.REPORTS_DIR / "logged" / year / f"Q{quarter}" / "dashboard.html"

    monkeypatch.setattr(kernel, "WarmKernel", NoKernel)
    monkeypatch.setattr(pipeline, "run_quarter", run_quarter)
    return state


def run_args(state: SimpleNamespace, *when: str) -> list[str]:
    return ["run", "--plan", str(state.plan), *(when or ["--latest"]), "--raw-dir", str(state.raw)]


def outcomes() -> list[tuple[str, ...]]:
    return [
        (row["plan"], row["year"], row["quarter"], row["outcome"])
        for row in read_log(config.REPORTS_DIR)
    ]


def test_run_latest_logs_the_quarter_it_chose(logged: SimpleNamespace) -> None:
    assert cli.main(run_args(logged)) == 0
    assert outcomes() == [("logged", "2025", "3", "ran")]
    (row,) = read_log(config.REPORTS_DIR)
    assert row["detail"].endswith("logged/2025/Q3/dashboard.html")


def test_run_latest_with_no_quarter_ready_is_logged_refused(
    logged: SimpleNamespace, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    argv = ["run", "--plan", str(logged.plan), "--latest", "--raw-dir", str(tmp_path / "empty")]
    assert cli.main(argv) == 1
    assert outcomes() == [("logged", "", "", "refused")]
    assert read_log(config.REPORTS_DIR)[0]["detail"].startswith("no quarter of logged's years")
    assert logged.runs == []


def test_a_mistyped_year_is_logged_refused_as_typed(logged: SimpleNamespace) -> None:
    assert cli.main(run_args(logged, "--year", "2025-26", "--quarter", "2")) == 1
    assert outcomes() == [("logged", "2025-26", "2", "refused")]
    assert (
        "calendar year '2025-26' is not of the form 2025"
        in read_log(config.REPORTS_DIR)[0]["detail"]
    )


def test_a_missing_extracts_folder_is_refused_before_a_kernel(
    logged: SimpleNamespace, tmp_path: Path, capsys: Captured
) -> None:
    argv = ["run", "--plan", str(logged.plan), "--year", "2025", "--quarter", "1"]
    assert cli.main([*argv, "--raw-dir", str(tmp_path / "nowhere")]) == 1
    assert "no extracts folder at" in capsys.readouterr().err
    assert outcomes() == [("logged", "2025", "1", "refused")]
    assert logged.runs == []


def test_a_failed_run_is_logged_with_its_reason(logged: SimpleNamespace, capsys: Captured) -> None:
    logged.fails = RunError("02_measures failed: KeyError: 'ward'", Path("Q3.failed/02.ipynb"))
    assert cli.main(run_args(logged)) == 1
    assert "02_measures failed" in capsys.readouterr().err
    assert outcomes() == [("logged", "2025", "3", "failed")]
    assert "02_measures failed: KeyError: 'ward'" in read_log(config.REPORTS_DIR)[0]["detail"]


def test_a_run_of_a_quarter_in_progress_is_logged_locked(logged: SimpleNamespace) -> None:
    report = config.REPORTS_DIR / "logged" / "2025" / "Q3"
    with lock.hold("logged 2025 Q3", report):
        assert cli.main(run_args(logged)) == 1
    assert outcomes() == [("logged", "2025", "3", "locked")]
    assert logged.runs == []


def test_typos_and_usage_errors_write_no_log(logged: SimpleNamespace, capsys: Captured) -> None:
    """Nothing to log them against: a plan name that names no file, or arguments argparse refuses."""
    assert cli.main(["run", "--plan", "stokton", "--latest"]) == 1
    with pytest.raises(SystemExit):
        cli.main(["run", "--plan", str(logged.plan), "--year", "2025"])
    capsys.readouterr()
    assert not (config.REPORTS_DIR / runlog.RUNS_CSV).exists()


def test_a_log_that_cannot_be_written_leaves_the_run_s_exit_code(
    logged: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Captured
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(runlog, "runs_csv", lambda root=None: blocked / runlog.RUNS_CSV)
    assert cli.main(run_args(logged)) == 0
    assert logged.runs == [("2025", 3)]
    assert "csp: warning: the run log" in capsys.readouterr().err


# --latest twice, for real --------------------------------------------------------------------------


def link_months(download: Path, raw: Path, months: list[str]) -> None:
    """The download's month folders, file by file (the manifest lists files, not folder links)."""
    for month in months:
        (raw / month).mkdir(parents=True)
        for file in (download / month).iterdir():
            (raw / month / file.name).symlink_to(file)


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """What three days of `csp run --plan city-of-london --latest` leave: the real pipeline on the
    police.uk download up to August 2021 (2021-22 Q1 complete), the same again the next day, and
    once September 2021 has landed (Q2 complete)."""
    download = shared_path("data", "police-uk")
    root = tmp_path_factory.mktemp("scheduled")
    raw, reports = root / "raw", root / "reports"
    months = sorted(p.name for p in download.iterdir() if p.is_dir())
    link_months(download, raw, [m for m in months if m <= "2021-08"])
    argv = ["run", "--plan", "city-of-london", "--latest", "--raw-dir", str(raw)]
    q1 = reports / "city-of-london" / "2021-22" / "Q1"
    days = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "REPORTS_DIR", reports)
        patch.setattr(config, "PROCESSED_DIR", root / "processed")
        for day in range(3):
            if day == 2:
                link_months(download, raw, ["2021-09"])
            code = cli.main(argv)
            days.append(
                SimpleNamespace(
                    code=code,
                    dashboard=(q1 / "dashboard.html").stat().st_mtime_ns,
                    manifest=(q1 / "manifest.json").read_bytes(),
                    log=read_log(reports),
                )
            )
    yield SimpleNamespace(days=days, reports=reports, q1=q1)
    shutil.rmtree(root, ignore_errors=True)


def test_run_latest_twice_does_the_work_once(scheduled: SimpleNamespace) -> None:
    first, second, _ = scheduled.days
    assert (first.code, second.code) == (0, 0)
    assert [(r["year"], r["quarter"], r["outcome"]) for r in second.log] == [
        ("2021-22", "1", "ran"),
        ("2021-22", "1", "up_to_date"),
    ]
    assert second.dashboard == first.dashboard
    assert second.manifest == first.manifest
    assert second.log[1]["detail"].endswith("city-of-london/2021-22/Q1/dashboard.html")


def test_a_new_month_of_data_makes_the_next_quarter_s_report(scheduled: SimpleNamespace) -> None:
    *_, third = scheduled.days
    assert third.code == 0
    assert [(r["year"], r["quarter"], r["outcome"]) for r in third.log][-1] == (
        "2021-22",
        "2",
        "ran",
    )
    q2 = scheduled.reports / "city-of-london" / "2021-22" / "Q2"
    assert (q2 / "dashboard.html").is_file()
    assert third.dashboard == scheduled.days[0].dashboard  # Q1's report is left as it was
