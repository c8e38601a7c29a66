"""Loader for the DPADM E-Government Branch slides (2014).

Reads the technical-cooperation table,
the sections that describe one project with bullet fields, and the mention of UNPOG.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.ingest.loaders.text import finish, match_label, put, put_labelled, read_lines, repair
from kg.ingest.records import BODY_TEXT, CONTEXT, HEADING, TABLE_COLUMN, Appearance

TABLE_HEADER = ["Country", "Purpose", "Accomplishments", "Follow-up"]
TABLE_FIELDS = ["focus", "objective", "key_accomplishments", "follow_up"]
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
            put(app, "brief_description", raw, n, BODY_TEXT)
            apps.append(finish(app, lines))
    return apps


def _table_rows(path: Path, doc_id: str, lines: list[str]) -> list[Appearance]:
    header = next((n for n, raw in enumerate(lines, 1) if raw.split("\t") == TABLE_HEADER), None)
    if header is None:
        raise SourceError(path, None, "no technical-cooperation table (header 'Country<TAB>Purpose…')")
    title_line = next((n for n in range(header - 1, 0, -1) if TABLE_TITLE.search(lines[n - 1])), None)
    if title_line is None:
        raise SourceError(path, header, "the table has no '<years> - <unit> Technical Cooperation' title")
    title = TABLE_TITLE.search(lines[title_line - 1])
    assert title is not None
    rows: list[Appearance] = []
    for n in range(header + 1, len(lines) + 1):
        cells = lines[n - 1].split("\t")
        if not lines[n - 1].strip():
            break
        if len(cells) != len(TABLE_HEADER):
            raise SourceError(path, n, f"table row has {len(cells)} cells, expected {len(TABLE_HEADER)}")
        # a row is one country engagement of the branch, not a project of its own
        app = Appearance(doc_id, str(path), n, n, "table-row", title=None, record="tc-activity")
        for name, column, cell in zip(TABLE_FIELDS, TABLE_HEADER, cells, strict=True):
            put(app, name, cell, n, TABLE_COLUMN, column)
        put(app, "time_frame", title.group("years"), title_line, HEADING)
        put(app, "implementing", title.group("unit"), title_line, HEADING)
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
        title, repairs = repair(m.group("title"), n)
        app = Appearance(doc_id, str(path), n, n, "section", title=title, repairs=repairs)
        put(app, "focus", m.group("country"), n, HEADING)
        for k in range(n + 1, len(lines) + 1):
            text = lines[k - 1].strip()
            if text.startswith("#"):
                break
            if not text.startswith("- "):
                continue
            app.end_line = k
            item = text[2:]
            labelled = match_label(item)
            if labelled is None:  # a label inside markup ('<u>Outputs</u>: …'): the markup is repaired
                cleaned, repairs = repair(item, k)
                labelled = match_label(cleaned)
                if labelled:
                    app.repairs.extend(r for r in repairs if r.as_written not in labelled.raw)
            if labelled:
                value = put_labelled(app, labelled, k, item)
                budget = re.search(r"\((?P<funder>[^)]+)\)\s*$", value)
                if labelled.name == "budget" and budget:
                    put(app, "funding", budget.group("funder"), k, CONTEXT, labelled.label)
            else:
                put(app, "brief_description", item, k, BODY_TEXT)
        if any(f.name in {"partners", "budget"} for f in app.fields):
            apps.append(finish(app, lines))
    return apps
