"""Loader for a UN Development Account project page: one project, titled, with fields.

The page itself says the funding (it is the Development Account's page); the division that
implemented the project is named in the implementation status ('DPADM has undertaken …').
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.ingest.loaders.text import finish, is_descriptive, match_label, put, put_labelled, read_lines, repair
from kg.ingest.records import BODY_TEXT, CONTEXT, Appearance

PAGE_HEADING = "Development Account Projects"
UNDERTAKEN_BY = re.compile(r"^(?P<org>[A-Z][A-Za-z]+) has undertaken the following activities")


def load_da_page(path: Path, doc_id: str) -> list[Appearance]:
    """Read the project of a Development Account page."""
    lines = read_lines(path)
    try:
        heading = next(n for n, raw in enumerate(lines, 1) if raw.strip() == PAGE_HEADING)
    except StopIteration:
        raise SourceError(path, None, f"no '{PAGE_HEADING}' heading found") from None
    body = [(n, lines[n - 1].strip()) for n in range(heading + 1, len(lines) + 1)]
    body = [(n, text) for n, text in body if text]
    if not body:
        raise SourceError(path, heading, "the page has a heading but no project after it")
    title_line, title = body[0]
    if match_label(title):
        raise SourceError(path, title_line, "expected the project title after the page heading")
    title, repairs = repair(title, title_line)
    app = Appearance(doc_id, str(path), title_line, body[-1][0], "block", None, title=title, repairs=repairs)
    # the page is the Development Account's own: its heading says who funds the project
    put(app, "funding", "Development Account", heading, CONTEXT, PAGE_HEADING)
    last: str | None = None
    for n, text in body[1:]:
        labelled = match_label(lines[n - 1])
        if labelled:
            last = labelled.name
            put_labelled(app, labelled, n, text)
        elif last is not None and is_descriptive(last):
            put(app, last, text.lstrip("•").strip(), n)
            by = UNDERTAKEN_BY.match(text)
            if last == "implementation_status" and by:
                put(app, "implementing", by.group("org"), n, BODY_TEXT, "Implementation status")
        else:
            raise SourceError(path, n, f"text outside any field: {text[:60]!r}")
    return [finish(app, lines)]
