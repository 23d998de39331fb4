"""The fault corpus: files as real partners and police.uk send them, each written here byte by byte,
and what csp must do with it: read it (and log what reading changed), or refuse it naming the file,
the row and the column with the true reason.

Every case goes through `clean.clean_all`, the way a run reads a quarter, on a small plan with a
partner CSV (`notices`), a partner workbook (`calls`) and police.uk (`street`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import mmap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from csp.domain.periods import FinancialYear
from csp.engine import clean, pseudonym
from csp.errors import ExtractError
from csp.inputs import csvfile, extracts
from csp.plan import Plan, load_plan
from csp.plan.quarter import QuarterRun
from csp.sources import police_uk
from csp.steps import clean as clean_step
from csp.store.processed import RunFolder

YEAR = FinancialYear.parse("2013-14")
PLAN = """\
plan: corpus
years: ["2013-14"]
wards: [Hardwick, Stockton Town Centre]
lsoas: {E01032739: Hardwick}
extracts:
  notices:
    title: Dispersal notices
    file: notices.csv
    id: ref
    date: issued
    columns:
      ref: {header: Notice Ref, type: id}
      issued: {header: Date Issued, type: date}
      ward: {header: Ward, type: ward}
      location: {header: Location, required: false}
  calls:
    title: Landlord calls
    file: calls.xlsx
    id: ref
    date: reported
    columns:
      ref: {header: Reference, type: id}
      reported: {header: Date Reported, type: date}
      ward: {header: Ward, type: ward}
      landlord: {header: Landlord, required: false}
  street:
    title: Street crime
    source: police_uk
themes:
  - theme: T
    measures:
      - id: "1"
        title: Notices
        direction: reduce
        metric: {kind: count, sources: [notices]}
        target: baseline
"""
FILES = {
    "notices": Path("2013-14", "Q1", "notices.csv"),
    "calls": Path("2013-14", "Q1", "calls.xlsx"),
    "street": Path("2013-04", "2013-04-city-of-london-street.csv"),
}
NOTICES = "Notice Ref,Date Issued,Ward,Location"
STREET = list(police_uk.COLUMNS.values())
SAVE_AS_UTF8 = "save it from Excel as 'CSV UTF-8"


def notices(*rows: str, header: str = NOTICES, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


def street(*rows: list[str], header: list[str] = STREET) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def crime(location: str = "On or near Cheapside", *extra: str) -> list[str]:
    """One police.uk row in the plan's area, with any surplus fields after the twelve."""
    return [
        "abc123",
        "2013-04",
        "City of London Police",
        "City of London Police",
        "-0.09",
        "51.51",
        location,
        "E01032739",
        "City of London 001F",
        "Drugs",
        "",
        "",
        *extra,
    ]


# Workbooks and folders are made by writers, not bytes ------------------------------------------


def workbook(*rows: list[object], formats: dict[str, str] | None = None) -> Callable[[Path], None]:
    """A calls.xlsx written by openpyxl, which stores formulas without a calculated value."""

    def write(path: Path) -> None:
        book = Workbook()
        sheet = book.active
        sheet.append(["Reference", "Date Reported", "Ward", "Landlord"])
        for row in rows:
            sheet.append(row)
        for cell, number_format in (formats or {}).items():
            sheet[cell].number_format = number_format
        book.save(path)

    return write


def with_sheet_xml(write: Callable[[Path], None], old: bytes, new: bytes) -> Callable[[Path], None]:
    """`write`, then the sheet's XML edited as Excel would have saved it (values it calculated)."""

    def edited(path: Path) -> None:
        write(path)
        with zipfile.ZipFile(path) as book:
            members = {name: book.read(name) for name in book.namelist()}
        sheet = "xl/worksheets/sheet1.xml"
        assert old in members[sheet]
        members[sheet] = members[sheet].replace(old, new)
        with zipfile.ZipFile(path, "w") as book:
            for name, data in members.items():
                book.writestr(name, data)

    return edited


def folder(path: Path) -> None:
    """A folder named as the file (a download unzipped one level too deep)."""
    (path / "inner.csv").parent.mkdir(parents=True)
    (path / "inner.csv").write_text(notices("S1,05/04/2013,Hardwick,High St"), encoding="utf-8")


# Expected outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """Read: the cleaned values of some columns, the facts logged for the file (codes, in order),
    and words the first fact's detail holds."""

    values: dict[str, list[str]]
    facts: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Refused:
    """Refused: the row and column named (None: none fits) and the words of the true reason."""

    row: int | None
    column: str | None
    reason: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Case:
    id: str
    extract: str  # notices (partner CSV), calls (partner workbook), street (police.uk)
    content: bytes | Callable[[Path], None]
    expect: Read | Refused


CASES = [
    # Encodings ------------------------------------------------------------------------------------
    Case(
        "utf8-without-bom",
        "notices",
        notices("S1,05/04/2013,Hardwick,Café Row").encode("utf-8"),
        Read({"ref": ["S1"], "location": ["Café Row"]}),
    ),
    Case(
        "utf8-bom-crlf",
        "notices",
        ("\ufeff" + notices("S1,05/04/2013,Hardwick,Café Row", newline="\r\n")).encode("utf-8"),
        Read({"ref": ["S1"], "ward": ["Hardwick"], "location": ["Café Row"]}),
    ),
    Case(
        "cp1252-logged",
        "notices",
        notices("S1,05/04/2013,Hardwick,High St", "S2,06/04/2013,Hardwick,Café’s Row").encode(
            "cp1252"
        ),
        Read(
            {"ref": ["S1", "S2"], "location": ["High St", "Café’s Row"]},
            ("read_as_windows_1252",),
            "first on line 3: byte 0xE9 read as 'é'",
        ),
    ),
    Case(
        "latin1-logged",
        "notices",
        notices("S1,05/04/2013,Hardwick,Peña Court ½").encode("latin-1"),
        Read({"location": ["Peña Court ½"]}, ("read_as_windows_1252",), "byte 0xF1 read as 'ñ'"),
    ),
    Case(
        "police-uk-cp1252-logged",
        "street",
        street(crime(), crime("On or near Café Row")).encode("cp1252"),
        Read(
            {"location_name": ["Cheapside", "Café Row"]},
            ("read_as_windows_1252",),
            "first on line 3",
        ),
    ),
    Case(
        "utf16-le-bom",
        "notices",
        notices("S1,05/04/2013,Hardwick,Café Row", newline="\r\n").encode("utf-16"),
        Read({"ref": ["S1"], "location": ["Café Row"]}),
    ),
    Case(
        "utf16-be-bom-tab-separated",  # Excel's "Unicode Text"
        "notices",
        b"\xfe\xff"
        + notices("S1\t05/04/2013\tHardwick\tCafé Row", header=NOTICES.replace(",", "\t")).encode(
            "utf-16-be"
        ),
        Read({"ref": ["S1"], "ward": ["Hardwick"], "location": ["Café Row"]}),
    ),
    Case(
        "police-uk-utf16",
        "street",
        street(crime()).encode("utf-16"),
        Read({"location_name": ["Cheapside"]}),
    ),
    *[
        Case(
            f"byte-0x{byte:02X}-undefined-in-cp1252",
            "notices",
            notices("S1,05/04/2013,Hardwick,High St").encode()
            + b"S2,06/04/2013,Hard"
            + bytes([byte])
            + b"wick,Mill Lane\n",
            Refused(3, "Ward", (f"byte 0x{byte:02X}", "UTF-8 or Windows-1252", SAVE_AS_UTF8)),
        )
        for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    ],
    Case(
        "police-uk-byte-undefined-in-cp1252",
        "street",
        street(crime(), crime("On or near Caf\x9d Row")).encode("latin-1"),
        Refused(3, "Location", ("byte 0x9D", "another encoding, or damaged")),
    ),
    Case(
        "utf8-mixed-with-cp1252",
        "notices",
        notices("S1,05/04/2013,Hardwick,Café Row").encode()
        + "S2,06/04/2013,Hardwick,Café Row\n".encode("cp1252"),
        Refused(3, "Location", ("byte 0xE9 is not UTF-8", "UTF-8 text on line 2", "mixes")),
    ),
    Case(
        "utf8-bom-then-cp1252",
        "notices",
        b"\xef\xbb\xbf" + notices("S1,05/04/2013,Hardwick,Café Row").encode("cp1252"),
        Refused(2, "Location", ("byte 0xE9 is not UTF-8", "byte-order mark", "mixes")),
    ),
    Case(
        "utf16-without-bom",
        "notices",
        notices("S1,05/04/2013,Hardwick,High St").encode("utf-16-le"),
        Refused(1, None, ("NUL byte", "UTF-16 without its byte-order mark", SAVE_AS_UTF8)),
    ),
    Case(
        "utf16-cut-short",
        "notices",
        notices("S1,05/04/2013,Hardwick,High St").encode("utf-16") + b"S",
        Refused(3, "Notice Ref", ("is not UTF-16 as its byte-order mark says",)),
    ),
    # Shapes -----------------------------------------------------------------------------------------
    Case(
        "quoted-newline-keeps-rows-as-a-spreadsheet-shows-them",
        "notices",
        notices(
            'S1,05/04/2013,Hardwick,"Flat 2\r\nHigh St"', "S2,06/04/2013,Hardwick,Mill Lane"
        ).encode(),
        Read(
            {"ref": ["S1", "S2"], "location": ["Flat 2 High St", "Mill Lane"]}, ("spaces_trimmed",)
        ),
    ),
    Case(
        "trailing-empty-columns-and-short-rows",
        "notices",
        notices(
            "S1,05/04/2013,Hardwick,High St,,", "S2,06/04/2013,Hardwick", header=NOTICES + ",,"
        ).encode(),
        Read({"ref": ["S1", "S2"], "location": ["High St", "<NA>"]}),
    ),
    Case(
        "columns-in-another-order-and-one-not-in-the-plan",
        "notices",
        notices(
            "High St,x,Hardwick,05/04/2013,S1",
            header="Location,Officer,Ward,Date Issued,Notice Ref",
        ).encode(),
        Read({"ref": ["S1"], "ward": ["Hardwick"], "location": ["High St"]}),
    ),
    Case(
        "padded-headers-and-values",
        "notices",
        notices(
            "  S1 , 05/04/2013 ,Hardwick ,  High St",
            header=" Notice Ref , Date Issued ,Ward,Location ",
        ).encode(),
        Read({"ref": ["S1"], "ward": ["Hardwick"], "location": ["High St"]}, ("spaces_trimmed",)),
    ),
    Case(
        "police-uk-padded-and-trailing-empty-columns",
        "street",
        street(
            [" abc123 ", *crime("  On or near Cheapside ")[1:], "", ""],
            header=[f" {name}" for name in STREET] + ["", ""],
        ).encode(),
        Read({"crime_id": ["abc123"], "location_name": ["Cheapside"]}),
    ),
    Case(
        "quote-never-closed",
        "notices",
        notices(
            'S1,05/04/2013,Hardwick,"High St', "S2,06/04/2013,Hardwick,Mill Lane", "S3,07/04/2013,,"
        ).encode(),
        Refused(2, "Location", ("a quote opens this cell and is never closed",)),
    ),
    Case(
        "stray-quote-inside-a-cell",
        "notices",
        notices(
            'S1,05/04/2013,Hardwick,Unit 12" Mall', "S2,06/04/2013,Hardwick,Mill Lane"
        ).encode(),
        Read({"ref": ["S1", "S2"], "location": ['Unit 12" Mall', "Mill Lane"]}),
    ),
    Case(
        "unquoted-comma-in-the-first-row",
        "notices",
        notices("S1,05/04/2013,Stockton, Town Centre,High St").encode(),
        Refused(2, None, ("ragged row", "5 fields where the header has 4", "in quotes")),
    ),
    Case(
        "ragged-row-after-a-quoted-newline",
        "notices",
        notices(
            'S1,05/04/2013,Hardwick,"Flat 2\nHigh St"', "S2,06/04/2013,Hardwick,Mill Lane,surplus"
        ).encode(),
        Refused(3, None, ("ragged row", "5 fields where the header has 4")),
    ),
    Case(
        "police-uk-ragged-row",
        "street",
        street(crime(), crime("On or near Cheapside", "surplus")).encode(),
        Refused(3, None, ("ragged row", "13 fields where the header has 12")),
    ),
    Case(
        "police-uk-short-row",
        "street",
        street(crime(), crime()[:10]).encode(),
        Refused(3, None, ("ragged row", "10 fields where the header has 12", "missing")),
    ),
    # Not files --------------------------------------------------------------------------------------
    Case("folder-for-a-csv", "notices", folder, Refused(None, None, ("is a folder, not a file",))),
    Case("folder-for-a-workbook", "calls", folder, Refused(None, None, ("is a folder",))),
    Case("folder-for-a-police-uk-file", "street", folder, Refused(None, None, ("is a folder",))),
    # Workbooks --------------------------------------------------------------------------------------
    Case(
        "formula-without-a-saved-value",
        "calls",
        workbook(
            ["C1", dt.datetime(2013, 4, 5), "Hardwick"], ["C2", "=DATE(2013,4,6)", "Hardwick"]
        ),
        Refused(3, "Date Reported", ("formula (=DATE(2013,4,6)) without a saved value", "save it")),
    ),
    Case(
        "formula-without-a-saved-value-in-an-optional-column",
        "calls",
        workbook(["C1", dt.datetime(2013, 4, 5), "Hardwick", '=UPPER("tristar")']),
        Refused(2, "Landlord", ('formula (=UPPER("tristar")) without a saved value',)),
    ),
    Case(
        "formula-with-its-saved-value",
        "calls",
        with_sheet_xml(
            workbook(["C1", "=DATE(2013,4,5)", "Hardwick"], formats={"B2": "DD/MM/YYYY"}),
            b"<v />",
            b"<v>41369</v>",
        ),
        Read({"ref": ["C1"], "reported": ["2013-04-05 00:00:00"]}),
    ),
    Case(
        "formula-whose-saved-value-is-empty-text",
        "calls",
        with_sheet_xml(
            workbook(["C1", dt.datetime(2013, 4, 5), "Hardwick", '=IF(1,"","x")']),
            b'<c r="D2"><f>',
            b'<c r="D2" t="str"><f>',
        ),
        Read({"ref": ["C1"], "landlord": ["<NA>"]}),
    ),
    Case(
        "excel-error-value",
        "calls",
        workbook(["C1", dt.datetime(2013, 4, 5), "Hardwick"], ["C2", "#REF!", "Hardwick"]),
        Refused(3, "Date Reported", ("the cell holds the Excel error #REF!",)),
    ),
]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    path = tmp_path_factory.mktemp("plan") / "corpus.yml"
    path.write_text(PLAN, encoding="utf-8")
    return load_plan(path)


def place(raw: Path, case: Case) -> Path:
    path = raw / FILES[case.extract]
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        case.content(path)
    return path


CSV_CASES = [case for case in CASES if FILES[case.extract].suffix == ".csv"]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault_corpus(case: Case, plan: Plan, tmp_path: Path) -> None:
    check_case(case, plan, tmp_path)


@pytest.mark.parametrize("case", CSV_CASES, ids=[case.id for case in CSV_CASES])
def test_fault_corpus_mapped(
    case: Case, plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same outcome when each CSV is mapped into memory, as a large force's months are."""
    monkeypatch.setattr(csvfile, "MAP_FROM", 1)
    check_case(case, plan, tmp_path)


def check_case(case: Case, plan: Plan, tmp_path: Path) -> None:
    path = place(tmp_path, case)
    if isinstance(case.expect, Refused):
        with pytest.raises(ExtractError) as caught:
            clean.clean_all(plan, tmp_path, YEAR, 1)
        error = caught.value
        assert (error.path, error.row, error.column) == (path, case.expect.row, case.expect.column)
        message = str(error)
        assert message.startswith(str(path))
        for words in case.expect.reason:
            assert words in message
        return
    cleaned = clean.clean_all(plan, tmp_path, YEAR, 1)
    table = cleaned.tables[case.extract]
    for column, values in case.expect.values.items():
        if column == "ref":  # an id: cleaning writes its pseudonym, never the value sent
            values = [str(v) for v in pseudonym.pseudonyms(pd.Series(values, dtype="string"))]
        assert [str(v) for v in table[column]] == values, column
    log = cleaned.log
    assert tuple(log["code"]) == case.expect.facts
    assert set(log["file"]) <= {extracts.display_path(path)}
    if case.expect.facts:
        assert case.expect.detail in log["detail"].iloc[0]


# What the log says, and what a refusal leaves behind ---------------------------------------------


def test_a_windows_1252_fact_counts_the_file_rows_first_among_its_facts(
    plan: Plan, tmp_path: Path
) -> None:
    path = tmp_path / FILES["notices"]
    path.parent.mkdir(parents=True)
    rows = ["S1,05/04/2013,Hardwick,Café Row", "", "S2,06/04/2013, Hardwick,High St"]
    path.write_bytes(notices(*rows).encode("cp1252"))
    log = clean.clean_all(plan, tmp_path, YEAR, 1).log
    assert log[["code", "rows"]].values.tolist() == [
        ["read_as_windows_1252", 3],
        ["blank_lines", 1],
        ["spaces_trimmed", 1],
    ]
    assert log["change"].iloc[0] == "rows of files read as Windows-1252 (Latin-1), not UTF-8"


def test_police_uk_windows_1252_fact_names_its_month(plan: Plan, tmp_path: Path) -> None:
    place(tmp_path, CASES[[c.id for c in CASES].index("police-uk-cp1252-logged")])
    log = clean.clean_all(plan, tmp_path, YEAR, 1).log
    assert log[["code", "month", "rows"]].values.tolist() == [
        ["read_as_windows_1252", "2013-04", 2]
    ]


def test_only_a_large_file_of_plain_ascii_is_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mapping skips the copy of a large download; any other file is read whole and looked at closer."""
    monkeypatch.setattr(csvfile, "MAP_FROM", 64)
    rows = "Ref,Ward\n" + "R1,Hardwick\n" * 10
    files = {
        "large.csv": rows.encode("ascii"),
        "small.csv": rows[:40].encode("ascii"),
        "accented.csv": rows.replace("Hardwick", "Hardwické").encode("utf-8"),
        "bom.csv": codecs.BOM_UTF8 + rows.encode("ascii"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    loaded = {name: csvfile.load(tmp_path / name) for name in files}
    assert {name: type(text.data) for name, text in loaded.items()} == {
        "large.csv": mmap.mmap,
        "small.csv": bytes,
        "accented.csv": bytes,
        "bom.csv": bytes,
    }
    assert all(text.header == ["Ref", "Ward"] for text in loaded.values())


def test_commentary_saved_by_excel_in_windows_1252_is_read(tmp_path: Path) -> None:
    path = tmp_path / "2013-14" / "commentary.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes("measure,quarter,note\n1,Q1,Rise due to the town’s £5 fund\n".encode("cp1252"))
    notes = extracts.read_commentary(tmp_path, YEAR)
    assert notes["note"].tolist() == ["Rise due to the town’s £5 fund"]


def test_commentary_with_an_unquoted_comma_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "2013-14" / "commentary.csv"
    path.parent.mkdir(parents=True)
    path.write_text("measure,quarter,note\n1,Q1,Rise, then a fall\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"row 2: ragged row: 4 fields where the header has 3"):
        extracts.read_commentary(tmp_path, YEAR)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_refused_file_leaves_the_last_cleaned_quarter_untouched(
    plan: Plan, tmp_path: Path
) -> None:
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    run = QuarterRun(plan, YEAR, 1, raw, RunFolder(processed))
    path = raw / FILES["notices"]
    path.parent.mkdir(parents=True)
    path.write_text(notices("S1,05/04/2013,Hardwick,High St"), encoding="utf-8")
    clean_step.run(run)
    before = _digest(processed)
    assert "inventory.csv" in before
    path.write_text(notices("S1,05/04/2013,Stockton, Town Centre,High St"), encoding="utf-8")
    with pytest.raises(ExtractError, match="ragged row"):
        clean_step.run(run)
    assert _digest(processed) == before
    inventory = pd.read_csv(processed / "inventory.csv")
    assert inventory.loc[inventory["status"] == "read", "rows_read"].tolist() == [1]
