"""No identifiers leave the processed folder.

The sample's person and record IDs, and the names, addresses and dates of birth a partner typed into
Ward cells (samples/stockton/generate.py, MISPLACED), appear in no dashboard, CSV, workbook, run file
or notebook of the session's runs, nor in a failed run's notebook; the processed folder holds the IDs
as pseudonyms only.
"""

from __future__ import annotations

import hmac
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pandas as pd
import pytest

from csp.engine import pseudonym
from csp.errors import KeyFileError, RunError
from csp.plan import Plan, load_plan
from csp.run.pipeline import run_quarter

PSEUDONYM = re.compile(r"[0-9a-f]{20}")
TOKEN = re.compile(r"[A-Za-z0-9/_-]+")  # the characters of the sample's IDs


@pytest.fixture(scope="module")
def stockton() -> Plan:
    return load_plan("stockton")


def raw_ids(plan: Plan, raw: Path) -> set[str]:
    """Every value of a column the plan types `id`, in every extract file of the sample."""
    ids: set[str] = set()
    for spec in plan.extracts.values():
        headers = [spec.columns[name].header for name in spec.id_columns]
        for path in sorted(raw.rglob(spec.file)):
            if path.suffix == ".xlsx":
                table = pd.read_excel(path, dtype=str, engine="calamine").fillna("")
            else:
                table = pd.read_csv(path, dtype=str, keep_default_na=False)
            for header in headers:
                ids |= {value.strip() for value in table[header] if value.strip()}
    return ids


def person_details(generator: ModuleType) -> set[str]:
    """Each misplaced cell whole, and each part of it that alone would point to someone."""
    found = set()
    for name, address, birth in generator.MISPLACED.values():
        found |= {", ".join((name, address, birth)), name, address, birth}
        postcode = " ".join(address.split()[-2:])
        found |= {name.split()[-1], birth.split()[-1], postcode, *address.split(", ")}
    return found


def readable(path: Path) -> str:
    """A file's text as a reader (or a program) would get it: a workbook's members unzipped."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str).to_csv(index=False)
    return path.read_bytes().decode("utf-8", "replace")


def files_under(*roots: Path) -> Iterator[Path]:
    """Every file, hidden folders (staging leftovers) and failed runs' folders included."""
    for root in roots:
        yield from (path for path in sorted(root.rglob("*")) if path.is_file())


@pytest.fixture(scope="module")
def failed_run(
    stockton_run: SimpleNamespace, sample_raw: Path, generator: ModuleType, tmp_path_factory
) -> RunError:
    """A run stopped by a person's details typed into a date cell: its notebook is kept."""
    raw = tmp_path_factory.mktemp("misplaced") / "stockton"
    shutil.copytree(sample_raw, raw)
    path = raw / "2011-12" / "Q2" / "police_crime.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[3, "Date Recorded"] = ", ".join(generator.MISPLACED["police_asb"])
    table.to_csv(path, index=False)
    with pytest.raises(RunError) as caught:
        run_quarter(
            "stockton",
            "2011-12",
            2,
            raw_dir=raw,
            processed_root=stockton_run.processed.parents[1],
            reports_root=stockton_run.reports_root,
            progress=lambda _: None,
        )
    return caught.value


def test_a_failed_run_names_the_cell_and_masks_its_value(failed_run: RunError) -> None:
    message = str(failed_run)
    assert "police_crime.csv" in message and "row 5" in message and "'Date Recorded'" in message
    assert "'J… (66 chars)' is not a date" in message
    assert "Ramsbottom" not in message
    assert failed_run.notebook is not None and failed_run.notebook.exists()


def test_no_output_carries_an_id_or_a_persons_details(
    stockton_run: SimpleNamespace,
    failed_run: RunError,
    stockton: Plan,
    sample_raw: Path,
    generator: ModuleType,
) -> None:
    ids, details = raw_ids(stockton, sample_raw), person_details(generator)
    assert len(ids) > 30_000 and {"Jane Ramsbottom", "TS17 9QX"} <= details
    reports = stockton_run.reports_root
    outputs = list(files_under(reports))
    assert {p.suffix for p in outputs} >= {".html", ".csv", ".xlsx", ".ipynb", ".json"}
    assert failed_run.notebook in outputs
    for path in outputs:
        text = readable(path)
        leaked = sorted(set(TOKEN.findall(text)) & ids)[:3]
        assert not leaked, f"{path.relative_to(reports)} carries IDs {leaked}"
        for detail in details:
            assert detail not in text, f"{path.relative_to(reports)} carries '{detail}'"


def test_the_processed_folder_holds_pseudonyms_not_ids(
    stockton_run: SimpleNamespace, stockton: Plan, sample_raw: Path
) -> None:
    ids = raw_ids(stockton, sample_raw)
    for path in files_under(stockton_run.processed):
        leaked = sorted(set(TOKEN.findall(readable(path))) & ids)[:3]
        assert not leaked, f"{path.name} carries IDs {leaked}"
    tables = {
        p.stem: pd.read_parquet(p) for p in (stockton_run.processed / "Q2").rglob("*.parquet")
    }
    for name, spec in stockton.extracts.items():
        for column in spec.id_columns:
            values = tables[name][column].dropna()
            assert len(values) and values.str.fullmatch(PSEUDONYM).all(), f"{name}.{column}"


def test_one_id_has_one_pseudonym_in_every_extract_and_quarter(
    stockton_run: SimpleNamespace, sample_raw: Path
) -> None:
    """Repeat callers are counted across the three ASB extracts: the same caller, the same
    pseudonym; a later quarter's run gives it again."""
    q1, q2 = (
        pd.read_parquet(stockton_run.processed / quarter / "clean" / "police_asb.parquet")
        for quarter in ("Q1", "Q2")
    )
    q1_rows = q1.set_index(["_file", "_row"])["caller_id"].dropna()
    q2_rows = q2.set_index(["_file", "_row"])["caller_id"].dropna()
    shared = q1_rows.index.intersection(q2_rows.index)
    assert len(shared) > 1000 and (q1_rows[shared] == q2_rows[shared]).all()
    raw = pd.read_csv(sample_raw / "2011-12" / "Q1" / "police_asb.csv", dtype=str)
    caller = raw["Caller ID"].dropna().str.strip().iloc[0]
    expected = hmac.digest(pseudonym.key(), caller.encode(), "sha256")[:10].hex()
    assert expected in set(q2["caller_id"].dropna())


# --- the key ---------------------------------------------------------------------------------------


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config" / "csp" / "pseudonym.key"
    monkeypatch.setenv(pseudonym.KEY_ENV, str(path))
    return path


def test_the_key_is_made_once_private_and_kept(key_file: Path) -> None:
    assert not key_file.exists()
    first = pseudonym.key()
    assert len(first) == 32 and key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert [p.name for p in key_file.parent.iterdir()] == ["pseudonym.key"]
    pseudonym._key.cache_clear()
    assert pseudonym.key() == first  # read back, not made again


def test_the_key_lives_in_the_home_folder_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(pseudonym.KEY_ENV)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pseudonym.key_path() == tmp_path / ".config" / "csp" / "pseudonym.key"


def test_a_key_others_can_read_or_a_damaged_key_is_refused(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_text("00" * 32 + "\n", encoding="ascii")
    os.chmod(key_file, 0o644)
    with pytest.raises(KeyFileError, match=r"open to other users.*chmod 600"):
        pseudonym.key()
    os.chmod(key_file, 0o600)
    key_file.write_text("not hex\n", encoding="ascii")
    with pytest.raises(KeyFileError, match="not a pseudonymisation key"):
        pseudonym.key()


def test_pseudonyms_are_hmac_sha256_of_each_id_missing_stays_missing(key_file: Path) -> None:
    ids = pd.Series(["C-1", None, "C-2", "C-1", "Zoë 7"], dtype="string")
    named = pseudonym.pseudonyms(ids)
    secret = pseudonym.key()
    expected = [hmac.digest(secret, v.encode(), "sha256")[:10].hex() for v in ("C-1", "C-2")]
    assert named.tolist()[:4] == [expected[0], pd.NA, expected[1], expected[0]]
    assert named[4] == hmac.digest(secret, "Zoë 7".encode(), "sha256")[:10].hex()
    assert str(named.dtype) == "string" and named.index.equals(ids.index)
    key_file.write_text("11" * 32 + "\n", encoding="ascii")
    pseudonym._key.cache_clear()
    assert pseudonym.pseudonyms(ids)[0] != expected[0]  # another key, other pseudonyms
