"""Loader for the UNPOG presentation (2014): UNPOG itself and the components of its work.

A slide deck has no fields, so each of UNPOG's facts is read from the sentence that states it
(body text, the sentence kept as written); a missing sentence is an error that names it, so a
changed deck cannot silently lose a fact. The deck's numbered sections on UNPOG's activities
(research series, publications, events, the joint project with UNESCAP) become component,
event and publication records, part of UNPOG, with the dates and venues they state.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.ingest.loaders.text import finish, put, read_lines, repair
from kg.ingest.records import BODY_TEXT, FIELD_LABEL, HEADING, Appearance

# field -> pattern whose group "v" is the value; the whole match is the text as written
FACTS: dict[str, re.Pattern[str]] = {
    "title": re.compile(r"^(?P<v>UN PROJECT OFFICE ON GOVERNANCE \(UNPOG\))"),
    "lead_division": re.compile(r"^(?P<v>Division for Public Administration and Development Management)$"),
    "time_frame": re.compile(r"^(?P<v>Established in \d{4})$"),
    "budget": re.compile(r"^(?P<v>Annual budget of [\d.]+ million USD)"),
    "funding": re.compile(r"^Annual budget of .* supported by (?P<v>Republic of Korea) through"),
    "focus": re.compile(r"^focus on the (?P<v>Asia-Pacific Region)$"),
    "brief_description": re.compile(r"^(?P<v>Assist Member States, in particular developing .*)$"),
}
# The deck's sections on parts of UNPOG's work: heading pattern -> record kind. Their identity
# (key, title, parent) is in the project register, like every other identification.
PARTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\(\d+\)\s*UNPOG-UNESCAP Joint Project$"), "component"),
    (re.compile(r"^\(\d+\)\s*United Nations Public Administration Country Studies \(UNPACS\)$"), "component"),
    (re.compile(r"^\(\d+\)\s*UN Compendium of E-Government Practices$"), "publication"),
    (re.compile(r"^\(\d+\)\s*E-Procurement Serial Publication$"), "publication"),
    (re.compile(r"^\(\d+\)\s*UNPSA 2014$"), "event"),
    (re.compile(r"^<u>eGB/UNPOG</u> <u>Capacity Development Workshop</u>$"), "event"),
    (re.compile(r"^\(\d+\)\s*Global e-Government Forum \(GeGF\) 2014$"), "event"),
    (re.compile(r"^\(\d+\)\s*Recipients of Country Specific Services$"), "component"),
    (re.compile(r"^E-Government for Promoting Sustainable Development in Small Island Developing States\s*$"),
     "publication"),
]  # fmt: skip
# 'Label: value' lines inside a part; a bare label ('Concept') takes the next line
PART_LABELS = {"venue": "venue", "date": "time_frame", "theme": "brief_description", "main theme": "brief_description"}
BARE_PART_LABELS = {
    "concept": "brief_description",
    "objective": "objective",
    "theme:": "brief_description",
    "main theme": "brief_description",
}
COUNTRIES_LINE = re.compile(r"^\d+ times, \d+ countries (?P<v>.+)$")  # '11 times, 11 countries Afghanistan, …'
PART_END = re.compile(r"^(?:\(\d+\)|\d\.\d |\d\. |<u>|Capacity Development Workshops)")


def load_unpog_presentation(path: Path, doc_id: str) -> list[Appearance]:
    """Read UNPOG and the parts of its work from the presentation."""
    lines = read_lines(path)
    found: dict[str, tuple[int, str]] = {}
    for n, raw in enumerate(lines, 1):
        for name, pattern in FACTS.items():
            m = pattern.match(raw.strip())
            if m and name not in found:
                found[name] = (n, m.group("v"))
    missing = [name for name in FACTS if name not in found]
    if missing:
        raise SourceError(path, None, f"UNPOG facts not found: {', '.join(missing)}")
    first = min(n for n, _ in found.values())
    last = max(n for n, _ in found.values())
    unpog = Appearance(doc_id, str(path), first, last, "section", title=found["title"][1])
    for name, (n, value) in found.items():
        if name != "title":
            put(unpog, name, value, n, BODY_TEXT)
    apps = [finish(unpog, lines)]
    for pattern, kind in PARTS:
        start = next((n for n, raw in enumerate(lines, 1) if pattern.match(raw.strip())), None)
        if start is None:
            raise SourceError(path, None, f"section {pattern.pattern!r} not found; the deck changed?")
        apps.append(finish(_part(path, doc_id, lines, start, kind), lines))
    return apps


def _part(path: Path, doc_id: str, lines: list[str], start: int, kind: str) -> Appearance:
    """One part of UNPOG's work: its heading, then labelled lines and text up to the next section."""
    title, repairs = repair(re.sub(r"^\(\d+\)\s*", "", lines[start - 1].strip()), start)
    app = Appearance(doc_id, str(path), start, start, "section", title=title, record=kind, repairs=repairs)
    if "UNESCAP" in title:
        put(app, "partners", "UNPOG-UNESCAP", start, HEADING)
    if "Small Island Developing States" in title:
        put(app, "focus", "Small Island Developing States", start, HEADING)
    pending: str | None = None  # a bare label waiting for its text
    running: str | None = None  # the field a text runs on in (no blank line since)
    previous = ""  # the line before: a list's heading ('Study Tours')
    for n in range(start + 1, len(lines) + 1):
        text = lines[n - 1].strip()
        if not text:
            running = None
            continue
        if PART_END.match(text) or (n > start + 1 and any(p.match(text) for p, _ in PARTS)):
            break
        app.end_line = n
        label, _, value = text.partition(":")
        countries = COUNTRIES_LINE.match(text)
        if countries:
            put(app, "focus", countries.group("v"), n, BODY_TEXT, previous or None)
        elif value.strip() and label.strip().lower() in PART_LABELS:
            put(app, PART_LABELS[label.strip().lower()], value, n, FIELD_LABEL, label.strip())
        elif text.lower() in BARE_PART_LABELS:
            pending = BARE_PART_LABELS[text.lower()]
        elif pending is not None or running is not None:
            name = pending or running
            assert name is not None
            put(app, name, text, n, FIELD_LABEL, None)
            pending, running = None, name
        elif text.startswith("Concept ") and app.get("brief_description") is None:
            put(app, "brief_description", text.removeprefix("Concept "), n, FIELD_LABEL, "Concept")
        elif not text.isdigit():  # slide numbering ('1', '2') is layout, not text
            put(app, "brief_description", text, n, BODY_TEXT)
        previous = text
    return app
