"""One read of a source's files shared by every plan that reads them.

The partnerships of a police force read the same street files: read by the first plan's run, the
stacked rows are kept on disk (an Arrow file under `config.shared_reads_dir()`), keyed by the files'
names and checksums and the code's fingerprint, and every later run of those files, in this process
or another, on this machine or one sharing the folder, loads them instead of parsing the CSVs again.
Each plan still cleans them against its own area, so its outputs are those of a read of its own.

Written once under a lock (`flock` on the entry's lock file): runs that start together wait for the
first one's read rather than repeating it. Written to a temporary file and renamed, so an entry is
whole or absent; an entry that cannot be loaded is read again, and a folder that cannot be written
leaves the run reading its files itself. Entries not used for a week are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa

from csp import config
from csp.domain.specs import ExtractSpec
from csp.inputs.extracts import ExtractFile, display_path
from csp.sources.base import Source
from csp.store import lock
from csp.store.manifest import code_fingerprint

KEEP_SECONDS = 7 * 24 * 3600
METADATA_KEY = b"csp.files"


def read(source: Source, files: list[ExtractFile], spec: ExtractSpec) -> pd.DataFrame:
    """`source.read_files(files, spec)`, or what an earlier run of the same files kept; each file's
    `sha256` must be set (it keys the entry), and its `rows_read` and `read_facts` are set here."""
    folder = config.shared_reads_dir()
    if folder is None:
        return source.read_files(files, spec)
    entry = folder / f"{source.name}-{entry_key(source, files)}.arrow"
    with _locked(entry) as held:
        table = _load(entry, files) if held else None
        if table is None:
            table = source.read_files(files, spec)
            if held:
                _store(entry, table, files)
                _prune(folder)
    return table


def entry_key(source: Source, files: list[ExtractFile]) -> str:
    """The files (as shown, and their checksums), the source and the code that reads them."""
    described = [source.name, code_fingerprint(), [(display_path(f.path), f.sha256) for f in files]]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()[:32]


@contextlib.contextmanager
def _locked(entry: Path) -> Iterator[bool]:
    """Hold the entry's lock (waiting for a run reading the same files); False if the folder
    cannot be used, and the run reads its files itself."""
    lock_path = entry.with_suffix(".lock")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        lock_path.touch()
    except OSError:
        yield False
        return
    with lock.waiting(lock_path):
        for used in (entry, lock_path):  # kept another week
            with contextlib.suppress(OSError):
                os.utime(used)
        yield True


def _load(entry: Path, files: list[ExtractFile]) -> pd.DataFrame | None:
    """The kept rows, each file's rows and reading facts set; None if there is no usable entry."""
    try:
        with pa.memory_map(str(entry)) as source:  # not copied: entries are replaced, never changed
            table = pa.ipc.open_file(source).read_all()
        kept = json.loads(table.schema.metadata[METADATA_KEY])
        frame = table.to_pandas(self_destruct=True)
        del table
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None
    if [item["file"] for item in kept] != [display_path(f.path) for f in files]:
        return None
    for file, item in zip(files, kept, strict=True):
        file.rows_read = item["rows"]
        file.read_facts = tuple(tuple(fact) for fact in item["facts"])
    return frame


def _store(entry: Path, frame: pd.DataFrame, files: list[ExtractFile]) -> None:
    """Keep the rows for the next run of the same files; a folder that cannot take them is let be."""
    kept = [
        {"file": display_path(f.path), "rows": f.rows_read, "facts": list(f.read_facts)}
        for f in files
    ]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(kept).encode()}
    table = table.replace_schema_metadata(metadata)
    partial = entry.with_name(f".{entry.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(partial, entry)
    except OSError:
        partial.unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    """Remove entries (and their lock files) unused for a week, and temporary files of dead runs."""
    old = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < old:
                path.unlink()
