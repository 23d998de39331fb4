"""`csp` on the command line: the scheduled run nobody watches needs an exit code and one readable
line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import csp
from csp import cli, config, pipeline

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
