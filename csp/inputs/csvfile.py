"""The bytes of a CSV as partners and police.uk send them: which encoding, which shape, and, for
anything that cannot be read, the file, row and column with the true reason.

Encodings: UTF-16 with its byte-order mark (Excel's "Unicode Text"); UTF-8 with or without one; else
Windows-1252, what Excel's plain "CSV" writes on Windows, which reads every Latin-1 letter the same, and
is logged as a data-quality fact (`read_as_windows_1252`) naming the first byte it changed. Refused, with
the row and column: a byte neither UTF-8 nor Windows-1252 defines (0x81, 0x8D, 0x8F, 0x90, 0x9D; Latin-1
would read them as invisible control codes inside an id or a ward, so the file is in another encoding
or damaged), UTF-8 mixed with another encoding, and a NUL byte (UTF-16 without its mark).

Shape: rows are counted as a spreadsheet shows them (the header is row 1, a quoted newline stays
inside its row, a blank line is a row). A row with more fields than the header is refused: an
unquoted comma moves every later value of the row a column along; so is a quote that opens a cell and
never closes, which would read every later row into that cell. A header of tabs and no commas is
read tab-separated. Good UTF-8 goes to Arrow as it is; Python looks closer only at a file Arrow
refuses, or one with an odd number of quotes.
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from csp.errors import ExtractError

_DICTIONARY = pa.dictionary(pa.int32(), pa.string())
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# A file this large is mapped, not copied, when it is plain ASCII (a police.uk month of a large force
# is 20 to 400 MB): a fresh copy faulted in page by page cost as much as parsing it.
MAP_FROM = 1 << 20
# Arrow parses a file in blocks, each column a chunk per block with its own dictionary: blocks this
# large keep a month of a large force to a few chunks (one thread a file parses them either way).
BLOCK_SIZE = 16 << 20
WINDOWS_1252 = "read_as_windows_1252"  # the data-quality fact (csp.domain.quality)
SAVE_AS_UTF8 = "save it from Excel as 'CSV UTF-8 (Comma delimited)'"
# A well-formed UTF-8 sequence of two to four bytes: in a file that is not UTF-8, a sign it is mixed.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


@dataclass(frozen=True)
class CsvBytes:
    """A CSV as UTF-8 bytes (no byte-order mark) for Arrow, its header, and what reading noted."""

    path: Path
    data: bytes | mmap.mmap  # a large ASCII file is mapped (`MAP_FROM`); mmap has no `in` or count
    header: list[str]  # the first row's names, stripped; empty for an empty file
    delimiter: str = ","
    facts: tuple[tuple[str, str], ...] = ()  # (code, detail) of csp.domain.quality facts


def refuse_folder(path: Path) -> None:
    """A folder where an extract should be (a download unzipped one level too deep) is named."""
    if path.is_dir():
        raise ExtractError(path, "is a folder, not a file: the extract itself should be here")


def file_bytes(path: Path) -> bytes:
    refuse_folder(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ExtractError(path, f"cannot be opened: {exc.strerror or exc}") from exc


def load(path: Path) -> CsvBytes:
    """The file's bytes as UTF-8 with its header; an encoding that is not UTF-8 is a fact."""
    mapped = _mapped_ascii(path)
    if mapped is not None:
        return _with_header(path, mapped, _first_line(mapped[:65536].decode("ascii")) + "\n", ())
    data = file_bytes(path)
    if data.startswith(UTF16_BOMS):
        text = _utf16(path, data)
        return _with_header(path, text.encode("utf-8"), text, ())
    body = data.removeprefix(codecs.BOM_UTF8)
    if body.isascii() and body.find(b"\x00") < 0:  # most files, police.uk's: nothing to decode
        return _with_header(path, body, _first_line(body[:65536].decode("ascii")) + "\n", ())
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        text, facts = _not_utf8(path, body, exc.start, bom=len(body) < len(data))
        return _with_header(path, text.encode("utf-8"), text, facts)
    return _with_header(path, body, text, ())


def _mapped_ascii(path: Path) -> mmap.mmap | None:
    """A large file of plain ASCII (no byte-order mark, no byte over 127, no NUL) mapped into memory;
    None for any other file, which `load` reads whole and looks at closer. Raw extracts are never
    changed in place, but a file cut short while mapped (a download unzipped over it mid-run) stops
    the process with SIGBUS rather than raising: `csp run` then fails the step at once, naming
    the extracts that changed while it ran (`csp.run.pipeline`)."""
    refuse_folder(path)
    try:
        if path.stat().st_size < MAP_FROM:  # a small file is not opened twice
            return None
        with path.open("rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise ExtractError(path, f"cannot be opened: {exc.strerror or exc}") from exc
    if not _plain_ascii(mapped):  # a byte-order mark is bytes over 127 too
        mapped.close()
        return None
    return mapped


def _plain_ascii(data: mmap.mmap) -> bool:
    """No byte over 127 and no NUL, eight bytes at a time."""
    octets = np.frombuffer(data, np.uint8)
    whole = len(octets) // 8 * 8
    high = np.bitwise_or.reduce(octets[:whole].view(np.uint64), initial=0)
    high |= np.bitwise_or.reduce(octets[whole:].astype(np.uint64), initial=0)
    return not int(high) & 0x8080808080808080 and data.find(b"\x00") < 0


def _quotes(data: bytes | mmap.mmap) -> int:
    return int(np.count_nonzero(np.frombuffer(data, np.uint8) == ord('"')))


def _with_header(
    path: Path, data: bytes | mmap.mmap, text: str, facts: tuple[tuple[str, str], ...]
) -> CsvBytes:
    """The header's names and the delimiter; a NUL byte anywhere is refused."""
    nul = text.find("\x00")
    if nul >= 0:
        raise _at(
            path,
            text,
            nul,
            "holds a NUL byte: the file is not text in UTF-8 or Windows-1252 (UTF-16 without "
            f"its byte-order mark?); {SAVE_AS_UTF8}",
        )
    first = _first_line(text)
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    if not text or text.isspace():
        header = []
    return CsvBytes(path, data, [name.strip() for name in header], delimiter, facts)


def _utf16(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-16", errors="replace")
        raise _at(
            path, prefix, len(prefix), f"is not UTF-16 as its byte-order mark says ({exc.reason})"
        ) from exc


def _not_utf8(
    path: Path, body: bytes, start: int, *, bom: bool
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Windows-1252 text with its fact; a file that mixes encodings, or is in another, is refused."""
    located = body.decode("latin-1")  # one character per byte: positions stay put
    mixed = _UTF8_SEQUENCE.search(body)
    if bom or mixed is not None:
        where = (
            "starts with a UTF-8 byte-order mark"
            if mixed is None
            else f"has UTF-8 text on line {_line(body, mixed.start())}"
        )
        problem = f"byte 0x{body[start]:02X} is not UTF-8, but the file {where}: it mixes encodings"
        raise _at(path, located, start, f"{problem}; {SAVE_AS_UTF8}")
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as exc:
        problem = (
            f"byte 0x{body[exc.start]:02X} is not a character in UTF-8 or Windows-1252: "
            "the file is in another encoding, or damaged"
        )
        raise _at(path, located, exc.start, f"{problem}; {SAVE_AS_UTF8}") from exc
    detail = f"first on line {_line(body, start)}: byte 0x{body[start]:02X} read as '{text[start]}'"
    return text, ((WINDOWS_1252, detail),)


def _line(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _at(path: Path, text: str, position: int, problem: str) -> ExtractError:
    """An error at a character of the text, named by its row and column as a spreadsheet shows them
    (the slow way, Python's csv module up to that point: only ever for a refused file)."""
    try:
        delimiter = _delimiter(_first_line(text))
        rows = list(csv.reader(io.StringIO(text[:position] + "x", newline=""), delimiter=delimiter))
    except csv.Error:
        return ExtractError(path, problem)
    field = len(rows[-1]) - 1  # the sentinel "x" ends the field the position is in
    header = rows[0] if len(rows) > 1 else []
    column = header[field].strip() if field < len(header) else ""
    return ExtractError(path, problem, row=len(rows), column=column or None)


def _delimiter(header: str) -> str:
    """Tab for a header of tabs and no commas (Excel's "Unicode Text"), else comma."""
    return "\t" if "\t" in header and "," not in header else ","


def _first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).removesuffix("\r")


class _Shape:
    """Arrow's handler for rows whose field count differs from the header's: notes the first."""

    def __init__(self, *, fill_short: bool) -> None:
        self.fill_short, self.short = fill_short, False
        self.bad: pacsv.InvalidRow | None = None

    def __call__(self, row: pacsv.InvalidRow) -> str:
        if row.actual_columns < row.expected_columns and self.fill_short:
            self.short = True
            return "skip"
        if self.bad is None:
            self.bad = row
        return "error"


def read_table(csv_bytes: CsvBytes, *, fill_short: bool, encoded: Collection[str] = ()) -> pa.Table:
    """Every cell as text ('' for empty), a row per record after the header, blank lines too, columns
    named as the header (a name may repeat). A row with more fields than the header is refused; a
    short one is filled with empty cells (`fill_short`) or refused.

    The columns named in `encoded` come dictionary-encoded: a column that repeats a few values over
    many rows is parsed straight into its codes, not into a string per cell encoded afterwards."""
    if csv_bytes.data.find(b'"') >= 0 and _quotes(csv_bytes.data) % 2:
        _refuse_unclosed_quote(csv_bytes)
    shape = _Shape(fill_short=fill_short)
    names = [str(i) for i in range(len(csv_bytes.header))]
    types = {
        name: _DICTIONARY if header in encoded else pa.string()
        for name, header in zip(names, csv_bytes.header, strict=True)
    }
    try:
        table = pacsv.read_csv(
            pa.BufferReader(csv_bytes.data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=False, block_size=BLOCK_SIZE
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=csv_bytes.delimiter, ignore_empty_lines=False, invalid_row_handler=shape
            ),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        if shape.bad is not None:
            raise _ragged(csv_bytes.path, shape.bad) from exc
        raise ExtractError(csv_bytes.path, f"cannot be read as CSV: {exc}") from exc
    if shape.short:
        table = _filled(csv_bytes, names, types)
    return table.rename_columns(csv_bytes.header)


def _refuse_unclosed_quote(csv_bytes: CsvBytes) -> None:
    """A quote that opens a cell and never closes would read the rest of the file into that cell:
    refused, naming it. (An odd number of quotes only; a stray quote inside a cell is read as it is.)"""
    text = bytes(csv_bytes.data).decode("utf-8")

    def records(ending: str) -> list[list[str]]:
        source = io.StringIO(text + ending, newline="")
        return list(csv.reader(source, delimiter=csv_bytes.delimiter, strict=True))

    try:
        records("")
        return
    except csv.Error:
        pass
    try:
        closed = records('"')  # closing it makes the file whole: that quote was never closed
    except csv.Error:
        return  # some other fault: Arrow reads the file or says what it is
    field = len(closed[-1]) - 1
    column = csv_bytes.header[field] if len(closed) > 1 and field < len(csv_bytes.header) else None
    raise ExtractError(
        csv_bytes.path,
        "a quote opens this cell and is never closed, so every later row would be read into it",
        row=len(closed),
        column=column or None,
    )


def _ragged(path: Path, row: pacsv.InvalidRow) -> ExtractError:
    more = row.actual_columns > row.expected_columns
    reason = (
        "a value holding a comma must be in quotes" if more else "a field is missing from the row"
    )
    return ExtractError(
        path,
        f"ragged row: {row.actual_columns} fields where the header has {row.expected_columns} "
        f"({reason})",
        row=row.number,
    )


def _filled(csv_bytes: CsvBytes, names: list[str], types: dict[str, pa.DataType]) -> pa.Table:
    """A file with short rows (no row too long: Arrow has seen them all), the gaps empty text."""
    try:
        frame = pd.read_csv(
            io.BytesIO(csv_bytes.data),
            sep=csv_bytes.delimiter,
            header=None,
            skiprows=1,
            names=names,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8",
        ).fillna("")
    except pd.errors.ParserError as exc:
        raise ExtractError(csv_bytes.path, f"cannot be read as CSV: {exc}") from exc
    return pa.table(
        {
            name: pa.array(frame[name].to_numpy(dtype=object), pa.string()).cast(types[name])
            for name in names
        }
    )
