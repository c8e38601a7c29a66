"""Errors a user can act on: each names the file, line or field at fault."""

from __future__ import annotations

from pathlib import Path


class KgError(Exception):
    """Base class for expected failures; the CLI prints these without a traceback."""


class SourceError(KgError):
    """A source file could not be read or parsed.

    Carries the file and line so the message points at the text to fix.
    """

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {message}")


class BuildError(KgError):
    """The build could not complete; the previous build is left in place."""
