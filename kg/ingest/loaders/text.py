"""Shared helpers for text sources: reading files and recognising 'Label: value' fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kg.errors import SourceError
from kg.ingest.records import DESCRIPTIVE_FIELDS, FIELD_LABEL, Appearance, Repair

# Label as written on the pages -> record field name. Longest labels first.
LABELS: list[tuple[str, str]] = [
    ("Objective/Purpose of Project", "objective"),
    ("Specific Products/Outputs Delivered", "outputs"),
    ("Key Accomplishments (to-date)", "key_accomplishments"),
    ("Key Accomplishments (to date)", "key_accomplishments"),
    ("Key Accomplishments", "key_accomplishments"),
    ("Expected Accomplishments", "expected_accomplishments"),
    ("Implementation status", "implementation_status"),
    ("Cooperation Partners", "partners"),
    ("Brief Description", "brief_description"),
    ("Main Expectations", "main_expectations"),
    ("Focus Countries", "focus"),
    ("Proposed Budget", "budget"),
    ("Funding Source", "funding"),
    ("Lead Division", "lead_division"),
    ("Thematic Area", "thematic_area"),
    ("Background", "background"),
    ("Time Frame", "time_frame"),
    ("Objective", "objective"),
    ("Partners", "partners"),
    ("Division", "lead_division"),
    ("Funding", "funding"),
    ("Comment", "comment"),
    ("Outputs", "outputs"),
    ("Budget", "budget"),
    ("Region", "region"),
    ("Donor", "donor"),
    ("Scope", "scope"),
]
# Section headings that stand alone on a line without a colon.
BARE_LABELS = {"feedback": "feedback"}

_LABEL_RE = re.compile(
    r"^(?P<label>" + "|".join(re.escape(label) for label, _ in LABELS) + r")(?P<colon>\s*:)(?P<value>.*)$",
    re.IGNORECASE,
)
_LABEL_FIELD = {label.lower(): name for label, name in LABELS}


def read_lines(path: Path) -> list[str]:
    """Read a UTF-8 text source as lines; a clear error if it is not text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, None, f"cannot read the file ({exc.strerror})") from exc
    if b"\x00" in data:
        raise SourceError(path, None, "binary data (NUL byte): expected a UTF-8 text page")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, line, "not valid UTF-8 text; save the page as UTF-8") from exc
    # only \n (and \r\n, \r) end a line, as editors and `sed -n` count them: str.splitlines would
    # also break at U+2028, U+0085, form feed or RS and shift every later line number
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[: -1 if text.endswith(("\n", "\r")) else None]


# Cleaning rules, in the order they apply: (rule, pattern, replacement). Each match becomes a
# Repair record, so a value that differs from its source says why.
REPAIR_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("escape", re.compile(r"\\\$"), "$"),
    ("markup", re.compile(r"<sup>(?P<x>[^<]*)</sup>"), r"\g<x>"),
    ("markup", re.compile(r"</?u>|\*\*"), ""),
    ("markup", re.compile(r"\s*\bbr />"), ""),
    ("nbsp", re.compile(r"[ \t]*\u00a0[ \t\u00a0]*"), " "),
]


def _window(text: str, start: int, end: int, margin: int = 24) -> tuple[int, int]:
    """A span around ``start:end`` widened by up to ``margin`` characters, cut at spaces."""
    left = max(0, start - margin)
    if left > 0 and " " in text[left:start]:
        left = text.index(" ", left, start) + 1
    right = min(len(text), end + margin)
    if right < len(text) and " " in text[end:right]:
        right = text.rindex(" ", end, right)
    return left, right


def repair(text: str, line: int) -> tuple[str, list[Repair]]:
    """``text`` cleaned by :data:`REPAIR_RULES` and trimmed, with one repair record per match.

    A record shows the match with a few words around it as written, and the same words after
    the rule. Ordinary spaces are only collapsed and trimmed, which is not recorded.
    """
    repairs: list[Repair] = []
    original = text
    for rule, pattern, replacement in REPAIR_RULES:
        spans: list[tuple[int, int]] = []
        for m in pattern.finditer(original):
            left, right = _window(original, m.start(), m.end())
            if spans and left <= spans[-1][1]:  # matches close together: one record
                spans[-1] = (spans[-1][0], max(right, spans[-1][1]))
            else:
                spans.append((left, right))
        for left, right in spans:
            window = original[left:right]
            repairs.append(Repair(rule, window, " ".join(pattern.sub(replacement, window).split()), line))
        text = pattern.sub(replacement, text)
    return " ".join(text.split()), repairs


def clean(value: str) -> str:
    """Trim a value and drop presentation escapes and markup (see :func:`repair`)."""
    return repair(value, 0)[0]


@dataclass(frozen=True)
class Labelled:
    """A 'Label: value' line: the field, the label and value as written, and the cleaned value."""

    name: str
    label: str
    raw: str
    value: str
    glued: bool  # no space after the colon ('Focus Countries:Cameroon')


def match_label(line: str) -> Labelled | None:
    """The field of a line that starts with a known 'Label:' (or is a bare section heading)."""
    stripped = line.strip()
    bare = BARE_LABELS.get(stripped.lower())
    if bare:
        return Labelled(bare, stripped, "", "", False)
    m = _LABEL_RE.match(line.lstrip())
    if not m:
        return None
    written = m.group("value")
    raw = written.strip(" \t")  # not NBSP padding: that is a repair to record
    glued = bool(raw) and not written[0].isspace()
    return Labelled(_LABEL_FIELD[m.group("label").lower()], m.group("label"), raw, clean(raw), glued)


def put(app: Appearance, name: str, raw: str, line: int, how: str = FIELD_LABEL, label: str | None = None) -> str:
    """Add field ``name`` with the source text ``raw``: cleaned, its repairs recorded; returns the value."""
    value, repairs = repair(raw, line)
    app.add(name, value, line, how, label, raw.strip(), tuple(repairs))
    return value


def put_labelled(app: Appearance, labelled: Labelled, line: int, source_line: str) -> str:
    """Add a 'Label: value' field, recording a glued label ('Focus Countries:Cameroon') as a repair."""
    value, repairs = repair(labelled.raw, line)
    if labelled.glued:
        written = source_line.strip()
        repairs.insert(0, Repair("glued-label", written, f"{labelled.label}: {labelled.raw.strip()}", line))
    # the padding is left out of the text as written (its repair record keeps it)
    app.add(labelled.name, value, line, FIELD_LABEL, labelled.label, labelled.raw.strip(), tuple(repairs))
    return value


def is_descriptive(name: str) -> bool:
    """True for fields whose text runs on over following lines."""
    return name in DESCRIPTIVE_FIELDS


def finish(app: Appearance, lines: list[str]) -> Appearance:
    """Set the appearance's full text from its line span (used to identify untitled ones)."""
    app.text = "\n".join(lines[app.start_line - 1 : app.end_line])
    return app
