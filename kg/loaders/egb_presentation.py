"""Loader for the DPADM E-Government Branch slides (2014).

Reads the technical-cooperation table,
the sections that describe one project with bullet fields, and the mention of UNPOG.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.loaders.text import clean, finish, match_label, read_lines
from kg.records import Appearance

TABLE_HEADER = ["Country", "Purpose", "Accomplishments", "Follow-up"]
TABLE_TITLE = re.compile(r"(?P<years>\d{4}\s*-\s*\d{4})\s*-\s*(?P<unit>\w+) Technical Cooperation")
PROJECT_SECTION = re.compile(r"^#+\s*(?P<country>[A-Z][\w ]+?)\s+–\s+(?P<title>.+)$")
UNPOG_MENTION = re.compile(r"United Nations Project on Governance \(UNPOG\)")


def load_egb_presentation(path: Path, doc_id: str) -> list[Appearance]:
    """Read the table rows, project sections and UNPOG mention of the EGB slides."""
    lines = read_lines(path)
    apps = _table_rows(path, doc_id, lines) + _sections(doc_id, path, lines)
    for n, raw in enumerate(lines, 1):
        if UNPOG_MENTION.search(raw):
            app = Appearance(doc_id, str(path), n, n, "mention")
            app.add("brief_description", clean(raw), n)
            apps.append(finish(app, lines))
    return apps


def _table_rows(path: Path, doc_id: str, lines: list[str]) -> list[Appearance]:
    header = next((n for n, raw in enumerate(lines, 1) if raw.split("\t") == TABLE_HEADER), None)
    if header is None:
        raise SourceError(path, None, "no technical-cooperation table (header 'Country<TAB>Purpose…')")
    title = next(
        (TABLE_TITLE.search(lines[n - 1]) for n in range(header - 1, 0, -1) if TABLE_TITLE.search(lines[n - 1])),
        None,
    )
    if title is None:
        raise SourceError(path, header, "the table has no '<years> - <unit> Technical Cooperation' title")
    rows: list[Appearance] = []
    for n in range(header + 1, len(lines) + 1):
        cells = lines[n - 1].split("\t")
        if not lines[n - 1].strip():
            break
        if len(cells) != len(TABLE_HEADER):
            raise SourceError(path, n, f"table row has {len(cells)} cells, expected {len(TABLE_HEADER)}")
        country, purpose, done, follow = (clean(c) for c in cells)
        app = Appearance(doc_id, str(path), n, n, "table-row", title=None)
        app.add("focus", country, n)
        app.add("objective", purpose, n)
        app.add("key_accomplishments", done, n)
        app.add("follow_up", follow, n)
        app.add("time_frame", title.group("years"), header - 1)
        app.add("implementing", title.group("unit"), header - 1)
        rows.append(finish(app, lines))
    if not rows:
        raise SourceError(path, header, "the technical-cooperation table has no rows")
    return rows


def _sections(doc_id: str, path: Path, lines: list[str]) -> list[Appearance]:
    apps: list[Appearance] = []
    for n, raw in enumerate(lines, 1):
        m = PROJECT_SECTION.match(raw.strip())
        if not m:
            continue
        app = Appearance(doc_id, str(path), n, n, "section", title=clean(m.group("title")))
        app.add("focus", m.group("country"), n)
        for k in range(n + 1, len(lines) + 1):
            text = lines[k - 1].strip()
            if text.startswith("#"):
                break
            if not text.startswith("- "):
                continue
            app.end_line = k
            item = clean(text[2:])
            labelled = match_label(item)
            if labelled:
                app.add(*labelled, k)
                budget = re.search(r"\((?P<funder>[^)]+)\)\s*$", labelled[1])
                if labelled[0] == "budget" and budget:
                    app.add("funding", budget.group("funder"), k)
            else:
                app.add("brief_description", item, k)
        if any(f.name in {"partners", "budget"} for f in app.fields):
            apps.append(finish(app, lines))
    return apps
