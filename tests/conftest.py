"""Shared fixtures: the generated sample, and one real pipeline run of Q1 and Q2 on it."""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from csp import config

# Tests never read or make the analyst's pseudonymisation key: one made for this session, in a
# folder of its own (runs' kernels inherit the variable), gone when the session ends.
_KEY_DIR = tempfile.mkdtemp(prefix="csp-test-key-")
atexit.register(shutil.rmtree, _KEY_DIR, ignore_errors=True)
os.environ["CSP_KEY_FILE"] = str(Path(_KEY_DIR) / "pseudonym.key")
# Nor the project's kept police.uk reads (csp.sources.shared_reads): the session's own, beside the key.
os.environ["CSP_SHARED_READS_DIR"] = str(Path(_KEY_DIR) / "shared-reads")


@pytest.fixture(autouse=True)
def scratch_reports(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes in the project's reports/ or data/processed/: a `csp run` a test makes logs
    its attempt in reports/runs.csv (csp.run.runlog), and `--latest` keeps its choice in
    data/processed/<plan>/, so the default folders are scratch ones."""
    monkeypatch.setattr(config, "REPORTS_DIR", tmp_path_factory.mktemp("reports"))
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path_factory.mktemp("processed"))


def load_generator() -> ModuleType:
    """samples/stockton/generate.py, imported by path (it is a script, not part of the package)."""
    path = (config.PROJECT_ROOT / "samples") / "stockton" / "generate.py"
    spec = importlib.util.spec_from_file_location("stockton_sample", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="session")
def sample_raw(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the bundled sample; tests must not change it (copy it first)."""
    out = tmp_path_factory.mktemp("raw") / "stockton"
    generator.write_sample(out)
    return out


@pytest.fixture(scope="session")
def stockton_run(sample_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The real pipeline (papermill, nbconvert) on the sample: Q1, then Q2, as `make report` does."""
    from csp.run.pipeline import run_quarter

    root = tmp_path_factory.mktemp("run")
    processed_root, reports_root = root / "processed", root / "reports"
    messages: list[str] = []
    dashboards = [
        run_quarter(
            "stockton",
            "2011-12",
            quarter,
            raw_dir=sample_raw,
            processed_root=processed_root,
            reports_root=reports_root,
            progress=messages.append,
        )
        for quarter in (1, 2)
    ]
    return SimpleNamespace(
        processed=processed_root / "stockton" / "2011-12",
        reports=reports_root / "stockton" / "2011-12",
        dashboards=dashboards,
        messages=messages,
        reports_root=reports_root,
    )


@pytest.fixture(scope="session")
def city_q3(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """City of London 2021-22 Q3 on the real police.uk download in ../shared: processed folder
    and dashboard."""
    from shared_data import shared_path

    from csp.run.pipeline import run_quarter

    raw = shared_path("data", "police-uk")
    root = tmp_path_factory.mktemp("city")
    dashboard = run_quarter(
        "city-of-london",
        "2021-22",
        3,
        raw_dir=raw,
        processed_root=root / "processed",
        reports_root=root / "reports",
        progress=lambda _: None,
    )
    return SimpleNamespace(
        processed=root / "processed" / "city-of-london" / "2021-22" / "Q3", dashboard=dashboard
    )
