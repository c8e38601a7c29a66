"""Loader for DPIDG/DPADM project pages: 'Current Projects' / 'Past Projects' sections.

Handles both shapes the corpus has: blocks that open with a code heading
('1617B - Title', 'DA1617B: Title'), blocks whose headings were stripped (a block then
opens with its first descriptive field and ends with 'Focus Countries:'), and sections of
one-line teasers ending in an ellipsis.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.ingest.loaders.text import finish, is_descriptive, match_label, put, put_labelled, read_lines, repair
from kg.ingest.records import BODY_TEXT, Appearance, Repair

SECTION_MARKERS = {"current projects": "current", "past projects": "past"}
CODE_HEADING = re.compile(
    r"^(?P<code>(?:DA)?\d{4}[A-Z]|ROA[ -]?\d{3}-\d+[A-Z]?|[A-Z]{3}\d{2}X\d{2})"
    r"\s*[-:–]\s*(?P<title>.*)$"
)
LINK_TEXTS = {"click here to go to link to project page", "project final report"}
ELLIPSIS = ("...", "…")
# Fields that, once a block has its focus countries, open the next block.
OPENING_FIELDS = {"brief_description", "objective", "main_expectations", "expected_accomplishments"}
IMPLEMENTED_BY = re.compile(r"implemented by (?:the )?(?P<org>[^.]+)\.", re.IGNORECASE)


def load_project_page(path: Path, doc_id: str) -> list[Appearance]:
    """Read every project appearance of a project page."""
    lines = read_lines(path)
    apps: list[Appearance] = []
    status: str | None = None
    section: list[tuple[int, str]] = []

    def flush() -> None:
        if status is not None and section:
            apps.extend(_read_section(path, doc_id, status, section, lines))

    for n, raw in enumerate(lines, start=1):
        marker = SECTION_MARKERS.get(raw.strip().lower())
        if marker:
            flush()
            status, section = marker, []
        elif status is not None:
            section.append((n, raw))
    flush()
    if not apps:
        raise SourceError(path, None, "no project found: expected a 'Current Projects' or 'Past Projects' section")
    return apps


def _read_section(
    path: Path, doc_id: str, status: str, section: list[tuple[int, str]], lines: list[str]
) -> list[Appearance]:
    body = [(n, raw.strip()) for n, raw in section if raw.strip()]
    if body and all(text.endswith(ELLIPSIS) for _, text in body):
        return [_teaser(path, doc_id, status, n, text, lines) for n, text in body]
    return _read_blocks(path, doc_id, status, section, lines)


def _teaser(path: Path, doc_id: str, status: str, n: int, text: str, lines: list[str]) -> Appearance:
    app = Appearance(doc_id, str(path), n, n, "teaser", status)
    labelled = match_label(text)
    if labelled and labelled.name == "brief_description":
        put_labelled(app, labelled, n, text)
    else:
        put(app, "brief_description", text, n, BODY_TEXT)
    lead = re.match(r"Lead by (?P<lead>.+?) and in partnership with (?P<partners>.+?), this", text)
    if lead:
        put(app, "lead_division", lead.group("lead"), n, BODY_TEXT, "Lead by")
        put(app, "partners", lead.group("partners"), n, BODY_TEXT, "in partnership with")
    return finish(app, lines)


def _read_blocks(
    path: Path, doc_id: str, status: str, section: list[tuple[int, str]], lines: list[str]
) -> list[Appearance]:
    apps: list[Appearance] = []
    current: Appearance | None = None
    last: str | None = None  # the field continuation lines belong to
    closed = False  # the current block has had its 'Focus Countries:'

    def start(n: int) -> Appearance:
        nonlocal current, last, closed
        if current is not None:
            apps.append(current)
        current = Appearance(doc_id, str(path), n, n, "block", status)
        last, closed = None, False
        return current

    for n, raw in section:
        text = raw.strip()
        if not text:
            continue
        if text.lower() in LINK_TEXTS:
            if current is not None:
                current.end_line = n
                current.repairs.append(Repair("boilerplate", text, "", n))  # link residue, not data
            continue
        heading = CODE_HEADING.match(text)
        if heading:
            app = start(n)
            app.code = heading.group("code")
            app.title = _title(app, heading.group("title"), n)
            continue
        labelled = match_label(raw)
        if current is None or (closed and (labelled is None or labelled.name in OPENING_FIELDS)):
            app = start(n)
            if labelled is None:
                app.title = _title(app, text, n)
                continue
        assert current is not None
        current.end_line = n
        if labelled:
            name = labelled.name
            value = put_labelled(current, labelled, n, raw)
            last = name
            if name == "focus":
                closed = True
            if name == "comment":
                implemented = IMPLEMENTED_BY.search(value)
                if implemented:
                    put(current, "implementing", implemented.group("org"), n, BODY_TEXT, "Comment")
        elif last is not None and is_descriptive(last):
            put(current, last, text, n)
        elif last is None and current.title is None:
            current.title = _title(current, text, n)
        else:
            raise SourceError(
                path,
                n,
                f"text outside any field after '{last}': {text[:60]!r}; "
                "expected a 'Label: value' line or a project heading",
            )
    if current is not None:
        apps.append(current)
    return [finish(a, lines) for a in apps]


def _title(app: Appearance, text: str, line: int) -> str | None:
    """A heading as the title, its repairs recorded with the appearance's."""
    title, repairs = repair(text, line)
    app.repairs.extend(repairs)
    return title or None
