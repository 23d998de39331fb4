"""Pseudonyms for person and record IDs: the processed folder keeps a keyed hash, never the ID.

Every column a plan types `id` (caller, victim, offender and client IDs, references) is replaced, as
it is cleaned, by HMAC-SHA256 of the ID under a secret key, cut to 20 hex digits (80 bits: two of a
million IDs sharing one is a one in a billion chance). The same ID has the same pseudonym in every
extract, quarter and run while the key is kept, so repeat callers are still counted exactly; without
the key nobody can go back from a pseudonym to the ID, nor check a guessed ID against one.

The key lives outside the project, in `$CSP_KEY_FILE` or `~/.config/csp/pseudonym.key`: made with
`secrets` on the first run, readable by its owner only (0600). Losing it only changes the pseudonyms
of later runs (each run cleans its extracts afresh); sharing it would undo the pseudonymisation.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csp.errors import KeyFileError

try:  # OpenSSL's HMAC, as the standard library's hmac module uses it
    from _hashlib import hmac_new as _hmac_new
except ImportError:  # a Python built without OpenSSL: the pure hashlib way below
    _hmac_new = None

KEY_ENV = "CSP_KEY_FILE"
KEY_BYTES = 32
DIGEST_BYTES = 10  # 20 hex digits


def key_path() -> Path:
    """`$CSP_KEY_FILE`, else `~/.config/csp/pseudonym.key`: outside the project, never committed."""
    named = os.environ.get(KEY_ENV)
    return Path(named).expanduser() if named else Path.home() / ".config" / "csp" / "pseudonym.key"


def key() -> bytes:
    """The secret key, made on first use."""
    return _key(key_path())


@functools.lru_cache(maxsize=4)
def _key(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path}: the pseudonymisation key is open to other users; make it private "
            f"with: chmod 600 {path}"
        )
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KeyFileError(f"{path}: not a pseudonymisation key ({exc})") from None
    if len(secret) != KEY_BYTES:
        raise KeyFileError(
            f"{path}: not a pseudonymisation key (expected {2 * KEY_BYTES} hex digits)"
        )
    return secret


def _create(path: Path) -> None:
    """A new random key, written whole and private (0600) before it takes the key's name; if another
    run made the key meanwhile, that one is kept."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pseudonym-")  # 0600
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot make the pseudonymisation key ({exc})") from None
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(KEY_BYTES) + "\n")
        os.link(temporary, path)
    except FileExistsError:
        pass  # another run made it first: its key is the key
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot make the pseudonymisation key ({exc})") from None
    finally:
        os.unlink(temporary)


def pseudonyms(values: pd.Series) -> pd.Series:
    """Each ID's pseudonym, missing IDs left missing: each distinct ID is hashed once and spread
    back to its rows (by Arrow, from the distinct pseudonyms), so the cost follows the number of
    people, not of records."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values.array)  # IDs as cleaned: Arrow text, encoded where they are
        encoded = pc.dictionary_encode(
            array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        )
        distinct, codes = encoded.dictionary.to_pylist(), encoded.indices  # missing: null
    else:
        numbers, found = pd.factorize(values)
        distinct, codes = found.astype(str).tolist(), pa.array(numbers, mask=numbers < 0)
    hashed = pa.array(list(map(_hasher(key()), distinct)), type=pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(hashed.take(codes)), index=values.index)


def _hasher(secret: bytes) -> Callable[[str], str]:
    """HMAC-SHA256 under `secret` (RFC 2104), cut to DIGEST_BYTES, as hex. The keyed state is made
    once and copied for each ID: OpenSSL's HMAC copy where Python has it (a third of `hmac.digest`'s
    time per call), else the key's two padded blocks hashed once and copied."""
    if _hmac_new is not None:
        keyed = _hmac_new(secret, digestmod="sha256")

        def openssl_pseudonym(value: str) -> str:
            state = keyed.copy()
            state.update(value.encode("utf-8"))
            return state.digest()[:DIGEST_BYTES].hex()

        return openssl_pseudonym
    block = secret.ljust(64, b"\0")  # SHA-256's block; keys are 32 bytes
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def pseudonym(value: str) -> str:
        first = inner.copy()
        first.update(value.encode("utf-8"))
        second = outer.copy()
        second.update(first.digest())
        return second.digest()[:DIGEST_BYTES].hex()

    return pseudonym
