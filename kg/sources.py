"""The bundled source manifest: which file is which document, read by which loader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kg.errors import SourceError
from kg.loaders import LOADERS
from kg.reference import PAGES_DIR, read_csv


@dataclass(frozen=True)
class Source:
    """One source document of the manifest."""

    path: Path
    doc_id: str
    loader: str
    title: str
    publisher: str
    note: str

    def sha256(self) -> str:
        """Hex SHA-256 of the file's bytes."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def read_manifest(directory: Path = PAGES_DIR) -> list[Source]:
    """Read ``sources.csv``; unknown loaders and missing files are errors that name the row."""
    manifest = directory / "sources.csv"
    rows = read_csv(manifest, ["file", "doc_id", "loader", "title", "publisher"])
    sources = []
    for n, row in enumerate(rows, start=2):
        if row["loader"] not in LOADERS:
            known = ", ".join(sorted(LOADERS))
            raise SourceError(manifest, n, f"unknown loader {row['loader']!r} (known: {known})")
        path = directory / row["file"]
        if not path.is_file():
            raise SourceError(manifest, n, f"source file {row['file']!r} does not exist in {directory}")
        sources.append(
            Source(
                path,
                row["doc_id"],
                row["loader"],
                row["title"],
                row["publisher"],
                row.get("note", ""),
            )
        )
    return sources
