"""Unit tests for csp.plan.quarter: a notebook opened by hand and one run by `csp run` must read and write the
same folders, whatever the working directory, and bad parameters must stop the run with a sentence."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from csp import config
from csp.errors import CspError, ParameterError, PlanError
from csp.plan import quarter as runs
from csp.plan.quarter import QuarterRun


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a folder that is not the project, as JupyterLab started elsewhere would."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_default_folders_come_from_the_plan_and_the_project(elsewhere: Path) -> None:
    run = QuarterRun.from_parameters("stockton", "2011-12", 2)
    assert run.raw_dir == config.PROJECT_ROOT / "data" / "raw" / "stockton"
    assert run.folder.folder == config.PROCESSED_DIR / "stockton" / "2011-12" / "Q2"
    for folder in (run.raw_dir, run.folder.folder):
        assert not folder.is_relative_to(elsewhere)


def test_parameters_are_parsed_into_typed_values() -> None:
    run = QuarterRun.from_parameters("stockton", "2011-12", 2)
    assert run.plan.name == "stockton"
    assert str(run.year) == "2011-12"
    assert run.quarter == 2
    assert run.label == "stockton 2011-12 Q2"


def test_explicit_relative_folders_resolve_from_the_project_root(elsewhere: Path) -> None:
    run = QuarterRun.from_parameters(
        "stockton",
        "2011-12",
        2,
        raw_dir="../shared/data/stockton",
        processed_dir="build/processed",
    )
    assert run.raw_dir == config.PROJECT_ROOT.parent / "shared" / "data" / "stockton"
    assert run.folder.folder == config.PROJECT_ROOT / "build" / "processed"


def test_explicit_absolute_folders_are_used_as_given(tmp_path: Path) -> None:
    """`csp run` passes its staging folders as absolute paths; they must be used untouched."""
    run = QuarterRun.from_parameters(
        "stockton",
        "2011-12",
        "2",
        raw_dir=tmp_path / "raw",
        processed_dir=str(tmp_path / ".Q2.staging-1234"),
    )
    assert run.raw_dir == tmp_path / "raw"
    assert run.folder.folder == tmp_path / ".Q2.staging-1234"


@pytest.mark.parametrize("quarter", [2, "2", "Q2", "q2", " Q2 "])
def test_quarter_is_accepted_in_the_forms_people_type(quarter: int | str) -> None:
    assert QuarterRun.from_parameters("stockton", "2011-12", quarter).quarter == 2


@pytest.mark.parametrize("quarter", [0, 5, "Q5", "second", "", "Q"])
def test_a_bad_quarter_is_a_parameter_error_naming_it(quarter: int | str) -> None:
    with pytest.raises(ParameterError) as raised:
        QuarterRun.from_parameters("stockton", "2011-12", quarter)
    message = str(raised.value)
    assert repr(quarter) in message
    assert "Q1, Q2, Q3 or Q4" in message


@pytest.mark.parametrize("year", ["2011", 2011, "2011-13", "11-12", "2011/12x", "next year"])
def test_a_bad_year_is_a_parameter_error_showing_the_expected_form(year: str | int) -> None:
    with pytest.raises(ParameterError) as raised:
        QuarterRun.from_parameters("stockton", year, 2)
    message = str(raised.value)
    assert str(year) in message
    assert "2011-12" in message
    assert isinstance(raised.value, CspError)


def test_a_year_the_plan_does_not_cover_is_a_plan_error() -> None:
    with pytest.raises(PlanError) as raised:
        QuarterRun.from_parameters("stockton", "2012-13", 1)
    assert str(raised.value) == (
        "stockton.yml: years: the plan does not cover 2012-13 (it covers 2011-12)"
    )


def test_an_unknown_plan_is_a_plan_error_listing_the_known_ones() -> None:
    with pytest.raises(PlanError) as raised:
        QuarterRun.from_parameters("nowhere", "2011-12", 1)
    assert "stockton" in str(raised.value)


COMMIT = re.compile(r"[0-9a-f]{12}(\+changes)?")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_source_commit_names_this_checkout() -> None:
    """The run record says which code made a report, so a figure can be traced to its code."""
    assert COMMIT.fullmatch(runs.source_commit()), runs.source_commit()


def test_source_commit_is_unknown_when_git_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without git still produces its report; the record says 'unknown'."""

    def no_git(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise OSError("git: not found")

    monkeypatch.setattr(runs.subprocess, "run", no_git)
    assert runs.source_commit() == "unknown"


def test_source_commit_is_unknown_outside_a_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the project without .git (an unzipped release) makes git exit non-zero."""

    def not_a_repository(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise subprocess.CalledProcessError(128, args, stderr="fatal: not a git repository")

    monkeypatch.setattr(runs.subprocess, "run", not_a_repository)
    assert runs.source_commit() == "unknown"


def fake_git(status_output: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """A stand-in for subprocess.run answering rev-parse and status as git would."""

    def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        output = "0123456789ab\n" if "rev-parse" in args else status_output
        return subprocess.CompletedProcess(args, 0, stdout=output, stderr="")

    return run


def test_source_commit_marks_uncommitted_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs.subprocess, "run", fake_git(" M csp/status.py\n"))
    assert runs.source_commit() == "0123456789ab+changes"


def test_source_commit_of_a_clean_checkout_is_the_bare_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runs.subprocess, "run", fake_git(""))
    assert runs.source_commit() == "0123456789ab"
