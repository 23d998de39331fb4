"""The errors csp raises: each names what went wrong and where, for a reader, not a stack."""

from __future__ import annotations

from pathlib import Path


class CspError(Exception):
    """Base class: anything csp reports to a user as one sentence."""


class PlanError(CspError):
    """A plan file is not valid; the message names the file and the offending entry."""

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        self.path, self.where, self.problem = Path(path), where, problem
        super().__init__(f"{self.path.name}: {where}: {problem}")


class ParameterError(CspError):
    """A run's parameters (year, quarter) are not valid."""


class ExtractError(CspError):
    """An extract cannot be read as the plan describes it; names file, row and column."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path, self.problem, self.row, self.column = Path(path), problem, row, column
        where = [str(self.path)]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {problem}")


class KeyFileError(CspError):
    """The pseudonymisation key cannot be read or made; the message names the file."""


class RunError(CspError):
    """A pipeline run failed; carries the executed notebook that shows where."""

    def __init__(self, reason: str, notebook: Path | None = None) -> None:
        self.reason, self.notebook = reason, notebook
        message = reason if notebook is None else f"{reason} (see {notebook})"
        super().__init__(message)


class PeersError(CspError):
    """Partnerships cannot be compared: too few reports, or a report that cannot be read."""


class RunInProgress(CspError):
    """Another live run holds the lock of the same plan, year and quarter; names its pid and start."""
