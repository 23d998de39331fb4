"""Project hygiene: clean notebooks, one dependency list in two formats, the make targets users are
told about, CI that cannot pass by skipping, and extracts kept out of git."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from csp import config

ROOT = config.PROJECT_ROOT
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def package_name(requirement: str) -> str:
    """'pandas>=2.2' -> 'pandas'; names compare as pip does (case, '-' and '_' alike)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


# notebooks -----------------------------------------------------------------------------------------


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path: Path) -> None:
    """papermill needs one parameters cell; stored outputs would leak extract data into git."""
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].cell_type == "code"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:60]
            assert cell.execution_count is None, cell.source[:60]


# dependencies --------------------------------------------------------------------------------------


def pyproject_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {package_name(r) for r in requirements}


def environment_packages() -> set[str]:
    data = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    names = set()
    for entry in data["dependencies"]:
        if isinstance(entry, dict):
            names |= {package_name(r) for r in entry.get("pip", []) if not r.startswith("-e")}
        else:
            names.add(package_name(entry))
    return names - {"python", "pip"}


def test_environment_yml_and_pyproject_name_the_same_packages() -> None:
    from_pyproject, from_environment = pyproject_packages(), environment_packages()
    assert {"pandas", "papermill", "pytest"} <= from_pyproject
    assert from_environment == from_pyproject


def test_package_name_normalisation() -> None:
    assert package_name("PyYAML>=6.0") == "pyyaml"
    assert package_name("ruamel_yaml ==0.18") == "ruamel-yaml"


# make, CI, git -------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_the_targets() -> None:
    done = subprocess.run(
        ["make", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    targets = set(re.findall(r"^\s*make (\S+)", done.stdout, flags=re.MULTILINE))
    expected = {"help", "install", "sample", "report", "test", "lint", "lab", "clean"}
    assert expected <= targets, done.stdout


def script_lines(path: Path) -> list[str]:
    lines = (
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
    return [line for line in lines if line]


def test_ci_requires_shared_data_and_runs_make_test() -> None:
    lines = script_lines(ROOT / ".ci" / "run")
    assert "export CSP_REQUIRE_SHARED_DATA=1" in lines
    assert "make test" in lines
    assert lines.index("export CSP_REQUIRE_SHARED_DATA=1") < lines.index("make test")


def gitignored(path: str, patterns: list[str]) -> bool:
    """Git's rule, enough for this file: the last matching pattern wins, and nothing under an
    ignored folder can be re-included."""
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        prefix, is_dir = "/".join(parts[:depth]), depth < len(parts)
        ignored = False
        for raw in patterns:
            negate = raw.startswith("!")
            pattern = raw[1:] if negate else raw
            dir_only = pattern.endswith("/")
            pattern = pattern.strip("/")
            if dir_only and not is_dir:
                continue
            anchored = "/" in raw.strip("/").lstrip("!")
            target = prefix if anchored else parts[depth - 1]
            if fnmatch.fnmatchcase(target, pattern):
                ignored = not negate
        if ignored:
            return True
    return False


def test_gitignore_keeps_extracts_and_reports_out_of_git() -> None:
    patterns = script_lines(ROOT / ".gitignore")
    for path in (
        "data/raw/stockton/2011-12/Q1/police_crime.csv",
        "data/raw/police-uk/2019-01/2019-01-city-of-london-street.csv",
        "data/processed/stockton/2011-12/Q2/statuses.csv",
        "reports/stockton/2011-12/Q2/dashboard.html",
    ):
        assert gitignored(path, patterns), path
    for path in ("data/raw/README.md", "csp/clean.py", "plans/stockton.yml"):
        assert not gitignored(path, patterns), path


def test_readme_mentions_report_and_test() -> None:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md not written yet")
    text = readme.read_text(encoding="utf-8")
    assert "make report" in text
    assert "make test" in text


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_opens_at_the_project_root_and_runs_as_root() -> None:
    """JupyterLab serves the whole project (data/ and reports/ too), and as root says so."""
    quiet = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(  # under `make test`, a nested make would print its directory
        ["make", "--no-print-directory", "-n", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=quiet,
    )
    command = done.stdout.strip().splitlines()[-1]
    assert command.startswith(".venv-lab/bin/jupyter lab ")
    assert f'--ServerApp.root_dir="{ROOT}"' in command
    assert ("--allow-root" in command) == (os.getuid() == 0)


def fake_apt(folder: Path, chromium: Path, *, installs: bool) -> dict[str, str]:
    """An apt-get that fails (exit 100, as a container's triggers can), after installing
    `chromium` or not; the environment that puts it first on the PATH."""
    folder.mkdir()
    script = folder / "apt-get"
    install = f"touch '{chromium}' && chmod +x '{chromium}'" if installs else "true"
    script.write_text(
        f'#!/bin/sh\ncase "$*" in *install*) {install};; esac\nexit 100\n', encoding="utf-8"
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("present", "installs", "complaint"),
    [(True, False, False), (False, True, False), (False, False, True)],
    ids=["present", "installed-apt-failed", "absent"],
)
def test_make_browser_complains_only_when_chromium_is_absent(
    tmp_path: Path, present: bool, installs: bool, complaint: bool
) -> None:
    chromium = tmp_path / "chromium"
    if present:
        chromium.write_text("#!/bin/sh\n", encoding="utf-8")
        chromium.chmod(0o755)
    env = fake_apt(tmp_path / "bin", chromium, installs=installs)
    done = subprocess.run(
        ["make", "-s", "browser", f"CHROMIUM={chromium}", "SUDO="],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert ("could not install chromium" in done.stdout) == complaint
    assert ("installing" in done.stdout) == (not present)


def test_every_folder_of_package_files_is_a_package_setuptools_finds() -> None:
    """A folder of templates setuptools does not list as a package is installed with a warning
    (and, in time, not at all): `packages.find` must find every folder under csp/ with files."""
    setuptools = pytest.importorskip("setuptools")
    find = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]["find"]
    assert find.get("namespaces", True)  # folders without __init__.py (templates) are packages
    found = set(setuptools.find_namespace_packages(where=str(ROOT), include=find["include"]))
    folders = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in (ROOT / "csp").rglob("*")
        if folder.is_dir()
        and "__pycache__" not in folder.parts
        and any(child.is_file() for child in folder.iterdir())
    }
    assert "csp.init.templates" in folders
    assert folders <= found
