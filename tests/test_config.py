"""Unit tests for csp.config: a notebook opened from any folder, or a scheduled run started from
anywhere, must find the same plans, extracts and reports, so paths never depend on the working
directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from csp import config
from csp.errors import RunError

FOLDERS = {
    "PLANS_DIR": config.PLANS_DIR,
    "NOTEBOOKS_DIR": config.NOTEBOOKS_DIR,
    "PROCESSED_DIR": config.PROCESSED_DIR,
    "REPORTS_DIR": config.REPORTS_DIR,
}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work from a folder that is not the project, as a notebook server started elsewhere would."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_project_root_is_the_checkout_holding_the_package() -> None:
    """Everything else hangs off the root, so it must be the folder with pyproject.toml and csp/."""
    assert config.PROJECT_ROOT.is_absolute()
    assert (config.PROJECT_ROOT / "pyproject.toml").is_file()
    assert (config.PROJECT_ROOT / "csp" / "config.py").is_file()


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_each_folder_sits_under_the_project_root(name: str) -> None:
    folder = FOLDERS[name]
    assert folder.is_absolute()
    assert folder.is_relative_to(config.PROJECT_ROOT), f"{name} = {folder}"


def test_plans_folder_holds_the_bundled_plan() -> None:
    """The folder constants point at real project folders, not just well-formed paths."""
    assert (config.PLANS_DIR / "stockton.yml").is_file()
    assert (config.NOTEBOOKS_DIR / "01_clean.ipynb").is_file()
    assert (config.REPORT_TEMPLATES / "index.html.j2").is_file()


def test_absolute_path_is_kept_as_given(elsewhere: Path) -> None:
    given = elsewhere / "extracts" / "2011-12"
    assert config.resolve(given) == given
    assert config.resolve(str(given)) == given


def test_relative_path_resolves_against_the_project_not_the_working_directory(
    elsewhere: Path,
) -> None:
    resolved = config.resolve("data/raw/stockton")
    assert resolved == config.PROJECT_ROOT / "data" / "raw" / "stockton"
    assert not resolved.is_relative_to(elsewhere)
    assert resolved.is_absolute()


def test_relative_path_with_dot_dot_is_normalised(elsewhere: Path) -> None:
    """`--raw-dir ../shared/data` (as CI passes it) means beside the project, wherever we run."""
    resolved = config.resolve("../shared/data")
    assert resolved == config.PROJECT_ROOT.parent / "shared" / "data"
    assert ".." not in resolved.parts


def test_dot_is_the_project_root(elsewhere: Path) -> None:
    assert config.resolve(".") == config.PROJECT_ROOT


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An analyst's `~/extracts` is their home folder, not a folder named '~' in the project."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    assert config.resolve("~/extracts/stockton") == home / "extracts" / "stockton"
    assert config.resolve(Path("~")) == home


def test_csp_root_environment_variable_moves_every_folder(tmp_path: Path) -> None:
    """CSP_ROOT lets an installed csp work on a project checked out somewhere else."""
    script = (
        "from csp import config\n"
        "print(config.PROJECT_ROOT)\n"
        "print(config.PLANS_DIR)\n"
        "print(config.REPORTS_DIR)\n"
        "print(config.resolve('data/raw'))\n"
    )
    env = {**os.environ, "CSP_ROOT": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    root, plans, reports, raw = (Path(line) for line in result.stdout.splitlines())
    expected_root = tmp_path.resolve()
    assert root == expected_root
    assert plans == expected_root / "plans"
    assert reports == expected_root / "reports"
    assert raw == expected_root / "data" / "raw"


def test_processed_and_reports_folders_can_be_moved_out_of_the_project(tmp_path: Path) -> None:
    """CSP_PROCESSED_DIR and CSP_REPORTS_DIR keep a scratch run's output out of the project."""
    script = "from csp import config\nprint(config.PROCESSED_DIR)\nprint(config.REPORTS_DIR)\n"
    env = {
        **os.environ,
        "CSP_PROCESSED_DIR": str(tmp_path / "p" / ".." / "processed"),
        "CSP_REPORTS_DIR": str(tmp_path / "reports"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    processed, reports = (Path(line) for line in result.stdout.splitlines())
    assert processed == (tmp_path / "processed").resolve()
    assert reports == (tmp_path / "reports").resolve()


@pytest.mark.parametrize(
    ("value", "limit"), [(None, 3600), ("90", 90), ("0", None)], ids=["default", "set", "none"]
)
def test_the_cell_time_limit_is_an_hour_unless_set(
    value: str | None, limit: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv("CSP_CELL_TIME_LIMIT", raising=False)
    else:
        monkeypatch.setenv("CSP_CELL_TIME_LIMIT", value)
    assert config.cell_time_limit() == limit


@pytest.mark.parametrize("value", ["an hour", "-5", "1.5"])
def test_a_cell_time_limit_that_is_not_whole_seconds_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSP_CELL_TIME_LIMIT", value)
    with pytest.raises(RunError, match=r"CSP_CELL_TIME_LIMIT=.*expected a whole number of seconds"):
        config.cell_time_limit()
