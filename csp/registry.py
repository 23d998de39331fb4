"""Registries: the named things a plan may choose (measure kinds, extract sources).

The engine asks a registered object what to do and never compares its name; a plan naming something
unregistered is refused with the names that are known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(KeyError):
    """A name no entry of the registry has; its message lists the known names."""

    def __init__(self, what: str, name: object, known: list[str]) -> None:
        self.what, self.name, self.known = what, name, known
        super().__init__(f"unknown {what} '{name}' (known: {', '.join(known)})")

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Name -> object, filled by `register` where each entry is defined."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.what} '{name}' is registered twice")
        self._entries[name] = entry
        return entry

    def get(self, name: object) -> T:
        try:
            return self._entries[str(name)]
        except KeyError:
            raise UnknownName(self.what, name, self.names()) from None

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)
