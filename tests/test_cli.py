"""`csp` on the command line: the scheduled run nobody watches needs an exit code and one readable
line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from calendar_plan import CALENDAR_PLAN, NoKernel, write_calendar_plan

import csp
from csp import cli, config
from csp.run import command, kernel, pipeline
from csp.store import manifest

Captured = pytest.CaptureFixture[str]


@pytest.fixture
def no_notebooks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) any notebook execution: these tests must fail before one starts."""
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(pipeline.papermill, "execute_notebook", refuse)
    return calls


def test_plans_lists_stockton(capsys: Captured) -> None:
    assert cli.main(["plans"]) == 0
    assert "stockton" in capsys.readouterr().out.split()


def test_validate_stockton_lists_its_measures(capsys: Captured) -> None:
    assert cli.main(["validate", "--plan", "stockton"]) == 0
    out = capsys.readouterr().out
    first, *measures = out.splitlines()
    assert first.startswith("stockton.yml: valid")
    assert "6 themes, 19 measures" in first
    assert len(measures) == 19
    assert "5.2" in measures[15]
    assert "Reduce Criminal Damage at street level" in measures[15]


def test_validate_a_plan_given_by_path(capsys: Captured) -> None:
    assert cli.main(["validate", "--plan", str(config.PLANS_DIR / "stockton.yml")]) == 0
    assert "19 measures" in capsys.readouterr().out


def test_validate_missing_plan_path_is_one_line_on_stderr(tmp_path: Path, capsys: Captured) -> None:
    assert cli.main(["validate", "--plan", str(tmp_path / "nowhere.yml")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("csp: error: nowhere.yml: plan: no such plan file")
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


def test_validate_invalid_plan_names_the_entry(tmp_path: Path, capsys: Captured) -> None:
    broken = tmp_path / "broken.yml"
    text = (config.PLANS_DIR / "stockton.yml").read_text(encoding="utf-8")
    broken.write_text(
        text.replace("direction: increase", "direction: upwards", 1), encoding="utf-8"
    )
    assert cli.main(["validate", "--plan", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("csp: error: broken.yml: measure 2.1.direction: unknown direction")


def test_python_dash_m_csp_version(tmp_path: Path) -> None:
    """`python -m csp` works from any folder and reports the package version."""
    done = subprocess.run(
        [sys.executable, "-m", "csp", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"csp {csp.__version__}"


def test_no_command_is_a_usage_error(capsys: Captured) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main([])
    assert stopped.value.code == 2
    assert "usage: csp" in capsys.readouterr().err


def test_run_with_missing_raw_dir_fails_fast(
    tmp_path: Path, capsys: Captured, no_notebooks: list[object]
) -> None:
    missing = tmp_path / "no-extracts-here"
    code = cli.main(
        [
            "run",
            "--plan",
            "stockton",
            "--year",
            "2011-12",
            "--quarter",
            "2",
            "--raw-dir",
            str(missing),
        ]
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("csp: error: no extracts folder at ")
    assert str(missing) in captured.err
    assert "--raw-dir" in captured.err
    assert captured.err.count("\n") == 1
    assert no_notebooks == []
    assert not missing.exists()


def test_run_for_a_year_the_plan_does_not_cover(
    tmp_path: Path, capsys: Captured, no_notebooks: list[object]
) -> None:
    code = cli.main(
        [
            "run",
            "--plan",
            "stockton",
            "--year",
            "2012-13",
            "--quarter",
            "1",
            "--raw-dir",
            str(tmp_path),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("csp: error: stockton.yml: years: the plan does not cover 2012-13")
    assert no_notebooks == []


@pytest.mark.parametrize(
    ("plan", "year", "problem"),
    [
        (
            "stockton",
            "2012-13",
            "stockton.yml: years: the plan does not cover 2012-13 (it covers 2011-12)",
        ),
        ("calendar", "2026", "years: the plan does not cover 2026 (it covers 2024, 2025)"),
    ],
)
def test_a_year_the_plan_does_not_cover_is_refused_before_the_engine_is_imported(
    calendar_plan: Path, tmp_path: Path, plan: str, year: str, problem: str
) -> None:
    """Read from the plan's header, as the year's form is: a fresh process answers without
    loading pandas or papermill, or starting a kernel."""
    name = str(calendar_plan) if plan == "calendar" else plan
    argv = ["run", "--plan", name, "--year", year, "--quarter", "1", "--raw-dir", str(tmp_path)]
    code = (
        "import sys; from csp import cli; code = cli.main(" + repr(argv) + "); "
        "print(sorted(m for m in ('pandas', 'papermill', 'jupyter_client') if m in sys.modules)); "
        "sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert problem in done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("year", "quarter", "problem"),
    [
        ("2011", "2", "financial year '2011' is not of the form 2011-12"),
        ("2011-12", "5", "quarter '5' is not Q1, Q2, Q3 or Q4"),
    ],
    ids=["bare-year", "quarter-5"],
)
def test_run_with_a_mistyped_year_or_quarter_is_one_line(
    tmp_path: Path,
    capsys: Captured,
    no_notebooks: list[object],
    year: str,
    quarter: str,
    problem: str,
) -> None:
    """A typo on the command line is a user error (exit 1, one line), not a crash."""
    code = cli.main(
        [
            "run",
            "--plan",
            "stockton",
            "--year",
            year,
            "--quarter",
            quarter,
            "--raw-dir",
            str(tmp_path),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("csp: error: ")
    assert problem in err
    assert no_notebooks == []


# calendar-year plans and --latest ------------------------------------------------------------------


@pytest.fixture
def calendar_plan(tmp_path: Path) -> Path:
    """A calendar-year plan whose extracts are there for 2024 Q1 to 2025 Q3."""
    return write_calendar_plan(tmp_path, "calendar-cli")


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """What `csp run` asked the pipeline for; no kernel is started, no notebook run."""
    calls: list[tuple[object, ...]] = []

    def run_quarter(plan: str, year: str, quarter: int | str, **kwargs: object) -> Path:
        calls.append((plan, year, quarter))
        return Path("dashboard.html")

    monkeypatch.setattr(kernel, "WarmKernel", NoKernel)
    monkeypatch.setattr(pipeline, "run_quarter", run_quarter)
    return calls


def test_run_latest_picks_and_prints_the_last_quarter_with_its_files(
    calendar_plan: Path, capsys: Captured, runs: list[tuple[object, ...]]
) -> None:
    raw = str(calendar_plan.parent / "raw")
    assert cli.main(["run", "--plan", str(calendar_plan), "--latest", "--raw-dir", raw]) == 0
    out = capsys.readouterr().out
    assert "csp: latest quarter with all its months: 2025 Q3 (July to September 2025)" in out
    assert runs == [(str(calendar_plan), "2025", 3)]


def test_run_latest_remembers_its_choice_until_a_file_plan_or_code_changes(
    calendar_plan: Path, monkeypatch: pytest.MonkeyPatch, runs: list[tuple[object, ...]]
) -> None:
    """The daily scheduled run chooses its quarter without loading the plan while nothing it
    chose from has changed; a new month's file, an edited plan or new code make it choose again."""
    raw = calendar_plan.parent / "raw"
    argv = ["run", "--plan", str(calendar_plan), "--latest", "--raw-dir", str(raw)]
    chosen: list[tuple[str, int, str]] = []
    choose = command.choose_latest
    monkeypatch.setattr(
        command, "choose_latest", lambda *a: chosen.append(choose(*a)) or chosen[-1]
    )
    for _ in range(2):
        assert cli.main(argv) == 0
    assert len(chosen) == 1
    assert runs == [(str(calendar_plan), "2025", 3)] * 2
    (raw / "2025" / "Q4").mkdir()
    (raw / "2025" / "Q4" / "notices.csv").write_text("Ref,Date Issued\n", encoding="utf-8")
    assert cli.main(argv) == 0
    assert runs[-1] == (str(calendar_plan), "2025", 4)
    calendar_plan.write_text(calendar_plan.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert cli.main(argv) == 0
    monkeypatch.setattr(manifest, "__version__", "99.0")
    assert cli.main(argv) == 0
    assert len(chosen) == 4


def test_run_latest_answers_an_unchanged_quarter_without_loading_the_plan(
    calendar_plan: Path, tmp_path: Path
) -> None:
    """In a fresh process, as the scheduled run is: once chosen, the choice loads no pandas or
    pydantic until something it was chosen from changes."""
    raw = calendar_plan.parent / "raw"
    code = (
        "import sys; from pathlib import Path; from csp import config; from csp.run import command; "
        f"config.PROCESSED_DIR = Path({str(tmp_path / 'processed')!r}); "
        f"print(command.latest_for({str(calendar_plan)!r}, {str(raw)!r})); "
        "print(sorted(m for m in ('pandas', 'pydantic') if m in sys.modules))"
    )
    for loaded in (["pandas", "pydantic"], []):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        chosen, modules = done.stdout.splitlines()
        assert chosen == "('2025', 3, 'Q3 (July to September 2025)')"
        assert modules == str(loaded)


def test_run_latest_with_no_complete_quarter_is_one_line(
    calendar_plan: Path, tmp_path: Path, capsys: Captured, runs: list[tuple[object, ...]]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["run", "--plan", str(calendar_plan), "--latest", "--raw-dir", str(empty)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("csp: error: no quarter of calendar-cli's years (2024, 2025) has all")
    assert err.count("\n") == 1
    assert runs == []


@pytest.mark.parametrize(
    "argv",
    [["--latest", "--year", "2025"], ["--latest", "--quarter", "1"], ["--year", "2025"], []],
    ids=["latest-and-year", "latest-and-quarter", "year-alone", "neither"],
)
def test_run_takes_a_year_and_quarter_or_latest(
    argv: list[str], capsys: Captured, runs: list[tuple[object, ...]]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["run", "--plan", "stockton", *argv])
    assert stopped.value.code == 2
    assert "--latest" in capsys.readouterr().err
    assert runs == []


@pytest.mark.parametrize(
    ("year", "problem"),
    [("2025-26", "calendar year '2025-26' is not of the form 2025"), ("2025", None)],
)
def test_run_reads_the_year_as_the_plan_s_year_start_says(
    calendar_plan: Path,
    capsys: Captured,
    runs: list[tuple[object, ...]],
    year: str,
    problem: str | None,
) -> None:
    raw = str(calendar_plan.parent / "raw")
    argv = ["run", "--plan", str(calendar_plan), "--year", year, "--quarter", "1", "--raw-dir", raw]
    code = cli.main(argv)
    if problem is None:
        assert code == 0
        assert runs == [(str(calendar_plan), "2025", "1")]
    else:
        assert code == 1
        assert problem in capsys.readouterr().err
        assert runs == []


def test_run_refuses_an_unknown_year_start_before_the_engine(
    calendar_plan: Path, capsys: Captured, runs: list[tuple[object, ...]]
) -> None:
    calendar_plan.write_text(
        CALENDAR_PLAN.format(name="calendar-cli").replace(
            "year_start: january", "year_start: july"
        ),
        encoding="utf-8",
    )
    argv = ["run", "--plan", str(calendar_plan), "--year", "2025", "--quarter", "1"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("csp: error: calendar-cli.yml: year_start: unknown year_start 'july'")
    assert runs == []
