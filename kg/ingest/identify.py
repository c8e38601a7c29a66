"""Which project an appearance belongs to: by its code, else by the curated register.

The register (``project_register.csv``) ties appearances without a code to a project key by
a phrase that occurs in them, with the evidence for the identification. An appearance that
neither carries a code nor matches the register gets a documented fallback key: the slug of
its title, or 'untitled-' plus a hash of its text; the build reports it so a curator can add a
register row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kg.graph.namespaces import project_key, slugify
from kg.ingest.records import Appearance


@dataclass(frozen=True)
class Identity:
    """A project key and how the appearance was tied to it."""

    key: str
    how: str
    register_title: str | None = None
    fallback: bool = False
    kind: str = "project"  # a record kind of kg.ingest.records.RECORD_KINDS
    part_of: str | None = None  # the parent's key


def identify(app: Appearance, register: list[dict[str, str]]) -> Identity:
    """Project key of an appearance (see module docstring for the rules)."""
    if app.code:
        return Identity(project_key(app.code), f"code {app.code!r}", kind=app.record, part_of=app.part_of)
    hits = [r for r in register if r["doc"] == app.doc_id and r["match"] in app.text]
    keys = sorted({r["key"] for r in hits})
    if len(keys) > 1:
        raise ValueError(
            f"register phrases of several projects match "
            f"({', '.join(keys)}); make the phrases in project_register.csv more specific"
        )
    if hits:
        row = hits[0]
        return Identity(
            row["key"], f"register: {row['match']!r} ({row['evidence']})", row["title"] or None,
            kind=row.get("kind") or app.record, part_of=row.get("part_of") or app.part_of,
        )  # fmt: skip
    if app.title:
        return Identity(
            slugify(app.title), "slug of the title (not in the register)", None, True, app.record, app.part_of
        )
    digest = hashlib.sha1(" ".join(app.text.split()).encode()).hexdigest()[:10]
    return Identity(f"untitled-{digest}", "hash of the text (not in the register)", None, True, app.record, app.part_of)
