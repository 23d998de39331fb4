"""The documentation: the site builds with no warning, README stays a page a newcomer reads in
minutes, every page is in the site's navigation, and README's links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MOST_LINES = 300
# [text](target): the target up to a space (a title) or the closing bracket.
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def nav_pages(entries: object) -> Iterator[str]:
    """Every page file named in mkdocs.yml's nav, however deeply sections nest."""
    if isinstance(entries, str):
        yield entries
    elif isinstance(entries, list):
        for entry in entries:
            yield from nav_pages(entry)
    elif isinstance(entries, dict):
        for value in entries.values():
            yield from nav_pages(value)


def mkdocs_config() -> dict[str, object]:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_site_builds_strict(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    if not mkdocs.exists():
        pytest.fail(
            f"mkdocs is not installed beside {sys.executable}: "
            "run `make install` (mkdocs-material is a dev dependency)"
        )
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "site" / "index.html").exists()


def test_readme_is_short() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MOST_LINES, (
        f"README.md has {len(lines)} lines: at most {README_MOST_LINES}; "
        "move the detail to a page under docs/"
    )


def test_every_nav_page_exists_and_every_page_is_in_the_nav() -> None:
    config = mkdocs_config()
    assert config["docs_dir"] == "docs"
    pages = list(nav_pages(config["nav"]))
    missing = [page for page in pages if not (DOCS / page).is_file()]
    assert missing == [], f"in mkdocs.yml's nav but not under docs/: {missing}"
    assert len(pages) == len(set(pages)), "a page is in the nav twice"
    written = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    left_out = [page for page in written if page not in pages]
    assert left_out == [], f"under docs/ but not in mkdocs.yml's nav: {left_out}"


def test_readme_links_to_files_that_exist() -> None:
    targets = LINK.findall(README.read_text(encoding="utf-8"))
    assert targets, "README.md has no links"
    broken = []
    for target in targets:
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL or an anchor in README itself
        path = target.split("#", 1)[0]
        if not (README.parent / path).exists():
            broken.append(target)
    assert broken == [], f"README.md links to files that are not there: {broken}"
