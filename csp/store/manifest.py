"""A run's manifest: what a report was made from, so an unchanged quarter is answered at once.

It records the parameters, the plan file's checksum, the code's fingerprint (csp's sources,
notebooks and templates, and the versions of Python and the libraries that compute a report) and
every file under the extracts folder with its size, modification time and SHA-256. A rerun whose
manifest would be the same is "up to date"; a file's checksum is worked out again only when its size
or time changed. Light on imports: `csp run` checks it before the pipeline is loaded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from csp import __version__, config

MANIFEST = "manifest.json"
LATEST = "latest.json"  # --latest's last choice, in data/processed/<plan>/
CODE_GLOBS = ("csp/**/*.py", "csp/*/templates/**/*", "notebooks/*.ipynb")
# What reads, computes, draws or writes a report's figures: an upgrade may change one.
COMPUTING_LIBRARIES = (
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "matplotlib",
    "pillow",
    "python-calamine",
    "openpyxl",
    "jinja2",
    "nbconvert",
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Checksums this process has worked out, by path, size and time: a process that runs many plans on
# one extracts folder (a Dask worker of a national run) hashes each file once, not once a plan.
_CHECKSUMS: dict[tuple[str, int, int], str] = {}


def checksum(path: Path, size: int, mtime_ns: int) -> str:
    """The file's SHA-256, worked out once in this process while its size and time are unchanged."""
    key = (str(path.resolve()), size, mtime_ns)
    if key not in _CHECKSUMS:
        _CHECKSUMS[key] = sha256_of(path)
    return _CHECKSUMS[key]


def checksum_now(path: Path) -> str:
    """`checksum` of the file as it is now."""
    stat = path.stat()
    return checksum(path, stat.st_size, stat.st_mtime_ns)


def remember(raw_dir: str, inputs: dict[str, list]) -> None:
    """Take the checksums a run's manifest holds ([size, mtime_ns, sha256] by path in `raw_dir`)
    as this process's own: the notebook kernel that reads the files then hashes only a file
    changed since, not every file a second time (0.4 s of CPU for a large force's quarter)."""
    for name, (size, mtime_ns, digest) in inputs.items():
        _CHECKSUMS[(str((Path(raw_dir) / name).resolve()), size, mtime_ns)] = digest


def remembering(raw_dir: Path, inputs: dict[str, list]) -> str:
    """The code that has a kernel `remember` the inputs' checksums."""
    return f"import csp.store.manifest\ncsp.store.manifest.remember({str(raw_dir.resolve())!r}, {inputs!r})"


def size_and_time(path: Path) -> tuple[int, int] | None:
    """What tells that a file changed (its size and modification time), or None if it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def code_fingerprint() -> str:
    """One checksum of the code that makes a report: any edit to it, or an upgrade of a library
    that computes or draws one (pandas, pyarrow, matplotlib, ...), reruns every quarter."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(library_versions().encode())
    root = config.PROJECT_ROOT
    files = sorted({p for pattern in CODE_GLOBS for p in root.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def library_versions() -> str:
    """Python's and each computing library's version, read from its installed metadata (without
    importing it: the up-to-date answer loads none of them); once a process, as it takes 80 ms."""
    versions = [f"python {platform.python_version()}"]
    for name in COMPUTING_LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return "; ".join(versions)


def folder_files(folder: Path) -> dict[str, list]:
    """Every file under `folder` (none if it is gone): [size, mtime_ns] by its path there."""
    files: dict[str, list] = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            path = Path(parent) / name
            files[path.relative_to(folder).as_posix()] = list(size_and_time(path) or (-1, -1))
    return dict(sorted(files.items()))


def input_files(raw_dir: Path, known: dict[str, list] | None = None) -> dict[str, list]:
    """Every file under the extracts folder: [size, mtime_ns, sha256], reusing a known checksum
    when a file's size and time are unchanged."""
    known = known or {}
    files: dict[str, list] = {}
    for key, (size, mtime_ns) in folder_files(raw_dir).items():
        before = known.get(key)
        same = before is not None and before[:2] == [size, mtime_ns]
        files[key] = [
            size,
            mtime_ns,
            before[2] if same else checksum(raw_dir / key, size, mtime_ns),
        ]
    return files


@dataclass(frozen=True)
class Manifest:
    parameters: dict[str, object]
    plan_sha256: str
    code: str
    inputs: dict[str, list]
    # What the run wrote, by folder ("processed", "report"): each file's [size, mtime_ns]
    outputs: dict[str, dict[str, list]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, parameters: dict[str, object], plan_file: Path, raw_dir: Path, known: Manifest | None
    ) -> Manifest:
        return cls(
            parameters=parameters,
            plan_sha256=sha256_of(plan_file),
            code=code_fingerprint(),
            inputs=input_files(raw_dir, known.inputs if known else None),
        )

    def same_content(self, other: Manifest) -> bool:
        """Equal but for file times: a file touched but not changed is the same input."""

        def content(m: Manifest) -> tuple:
            checksums = {k: v[2] for k, v in m.inputs.items()}
            return (m.parameters, m.plan_sha256, m.code, checksums)

        return content(self) == content(other)

    def changed_since(self, raw_dir: Path) -> list[str]:
        """The inputs whose size or time is not what it was when the manifest was made (or that
        are gone), by their path in `raw_dir`."""
        return [
            name
            for name, (size, mtime_ns, _) in self.inputs.items()
            if size_and_time(raw_dir / name) != (size, mtime_ns)
        ]

    def settled(self, raw_dir: Path) -> Manifest:
        """The manifest a finished run writes: without the inputs that changed while it ran. The
        report may have been made from either version of such a file, so the next run is not
        answered "up to date" and reads it again (its other checksums still reused)."""
        changed = set(self.changed_since(raw_dir))
        return replace(self, inputs={k: v for k, v in self.inputs.items() if k not in changed})

    def with_outputs(self, processed_folder: Path, report_folder: Path) -> Manifest:
        """The manifest with the files the run wrote (the manifest itself aside), so a later
        check can tell its outputs are still as it left them."""
        report = {k: v for k, v in folder_files(report_folder).items() if k != MANIFEST}
        return replace(
            self, outputs={"processed": folder_files(processed_folder), "report": report}
        )

    def outputs_intact(self, processed_folder: Path, report_folder: Path) -> bool:
        """Every file the run wrote is there as it was written: a processed table deleted, or a
        report file edited or removed, is rebuilt by running the quarter again (a file an analyst
        added beside them is no reason to)."""
        now = {"processed": folder_files(processed_folder), "report": folder_files(report_folder)}
        return bool(self.outputs) and all(
            now.get(kind, {}).get(name) == stat
            for kind, files in self.outputs.items()
            for name, stat in files.items()
        )

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST
        path.write_text(json.dumps(self.__dict__, indent=1, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        """The manifest of the report in `folder`, or None if there is none to trust."""
        path = folder / MANIFEST
        if not path.exists() or not (folder / "dashboard.html").exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except (ValueError, TypeError):
            return None


def latest_key(plan_file: Path, raw_dir: Path) -> dict[str, object]:
    """What `csp run --latest` chooses its quarter from: the plan, the code, and every file's size
    and time under the extracts folder (availability.csv included)."""
    return {
        "plan": str(plan_file.resolve()),
        "plan_sha256": sha256_of(plan_file),
        "code": code_fingerprint(),
        "raw_dir": str(raw_dir),
        "files": folder_files(raw_dir),
    }


def recalled_latest(memo: Path, key: dict[str, object]) -> tuple[str, int, str] | None:
    """The quarter (year, quarter, label) --latest chose when it last chose from `key`, or None."""
    try:
        data = json.loads(memo.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        year, quarter, label = data["choice"]
        return str(year), int(quarter), str(label)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def record_latest(memo: Path, key: dict[str, object], choice: tuple[str, int, str]) -> None:
    """Keep --latest's choice for the next run: a cache, so a folder that cannot be written only
    means the next run chooses again."""
    temporary = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"key": key, "choice": list(choice)}), encoding="utf-8")
        os.replace(temporary, memo)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def up_to_date(
    parameters: dict[str, object],
    plan_file: Path,
    raw_dir: Path,
    report_folder: Path,
    processed_folder: Path,
) -> bool:
    """The last report's manifest matches the plan, code and every input file as they are now, and
    the run's processed tables and report files are as it wrote them (an analyst who deleted or
    edited one gets them rebuilt)."""
    last = Manifest.read(report_folder)
    if last is None or not raw_dir.is_dir():
        return False
    if not last.outputs_intact(processed_folder, report_folder):
        return False
    now = Manifest.of(parameters, plan_file, raw_dir, known=last)
    return now.same_content(last)
