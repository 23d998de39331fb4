"""Extracts at a URL: `--raw-dir s3://bucket/police-uk`, or any URL fsspec reads.

Before a run the URL's files are copied to a local folder (`config.mirrors_dir()`, one per URL),
only those new or changed since the last copy (by the version the store gives: ETag, else time and
size), and the run reads that folder as it reads any extracts folder. So a Dask worker on another
machine needs the URL, not a shared folder. Copies are made under a lock (runs of one machine take
turns) and each file is written to a temporary name and renamed: never half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import uuid
from pathlib import Path

import fsspec

from csp import config
from csp.errors import RunError
from csp.store import lock

STATE = ".csp-mirror.json"  # in the copy: each file's version when it was copied


def local_copy(url: str, root: Path | None = None) -> Path:
    """The folder holding the files under `url`, brought up to date first."""
    folder = (root or config.mirrors_dir()) / hashlib.sha256(url.encode()).hexdigest()[:16]
    try:
        fs, base = fsspec.core.url_to_fs(url)
        folder.mkdir(parents=True, exist_ok=True)
        with lock.waiting(folder.with_name(f".{folder.name}.lock")):
            listed = fs.find(base, detail=True)
            if not listed:
                raise RunError(f"no extracts at {url}")
            _update(fs, base, listed, folder)
    except (OSError, ValueError, ImportError) as exc:
        raise RunError(f"cannot copy the extracts at {url}: {type(exc).__name__}: {exc}") from exc
    return folder


def _update(fs: fsspec.AbstractFileSystem, base: str, listed: dict, folder: Path) -> None:
    """Copy what is new or changed, remove what is gone, and record each file's version."""
    state = folder / STATE
    before = json.loads(state.read_text(encoding="utf-8")) if state.exists() else {}
    now = {}
    for path, info in listed.items():
        relative = posixpath.relpath(path, base)
        if relative.startswith("..") or relative == STATE:
            continue
        now[relative] = _version(info)
        target = folder / relative
        if before.get(relative) != now[relative] or not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
            fs.get_file(path, str(partial))
            os.replace(partial, target)
    for gone in set(before) - set(now):
        (folder / gone).unlink(missing_ok=True)
    partial = state.with_name(f"{STATE}.tmp")
    partial.write_text(json.dumps(now, sort_keys=True), encoding="utf-8")
    os.replace(partial, state)


def _version(info: dict) -> str:
    """What changes when the file does, as the store tells it."""
    for key in ("ETag", "etag", "md5Hash", "LastModified", "mtime", "last_modified"):
        if info.get(key) is not None:
            return f"{key}={info[key]} size={info.get('size')}"
    return f"size={info.get('size')}"
