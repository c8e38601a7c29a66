"""The bundled source manifest: which file is which document, read by which loader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kg.errors import SourceError
from kg.ingest.loaders import LOADERS
from kg.ingest.reference import PAGES_DIR, read_csv


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


def user_sources(paths: list[Path]) -> list[Source]:
    """The sources a user brings with ``kg build --source``: files, or folders of them.

    The kind of each file is recognised from its content: an ``<iati-activities>`` root is an
    IATI 2.03 activity file. A folder with a ``sources.csv`` is a page manifest, read as the
    bundled one is. Anything else is an error that says what is expected.
    """
    from kg.ingest.loaders.iati import is_iati

    found: list[Source] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise SourceError(path, None, "no such file or folder (given with --source)")
        if path.is_dir():
            if (path / "sources.csv").is_file():
                found += read_manifest(path)
                continue
            files = sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith("."))
            iati = [f for f in files if is_iati(f)]
            if not iati:
                raise SourceError(path, None, "holds no IATI activity file (<iati-activities> root) and no sources.csv")
            found += [_iati_source(f) for f in iati]
        elif is_iati(path):
            found.append(_iati_source(path))
        else:
            raise SourceError(
                path,
                None,
                "not a source sdgkg can read: expected an IATI 2.03 activity file (an <iati-activities> root) "
                "or a folder with a sources.csv manifest of pages",
            )
    seen: dict[str, int] = {}
    unique = []
    for src in found:
        n = seen[src.doc_id] = seen.get(src.doc_id, 0) + 1
        unique.append(
            src if n == 1 else Source(src.path, f"{src.doc_id}-{n}", src.loader, src.title, src.publisher, src.note)
        )
    return unique


def _iati_source(path: Path) -> Source:
    from kg.graph.namespaces import slugify

    return Source(
        path.resolve(),
        "iati-" + (slugify(path.stem, max_words=12) or "file"),
        "iati",
        f"IATI activity file {path.name}",
        "IATI publisher (see each activity's reporting organisation)",
        "imported with kg build --source",
    )
