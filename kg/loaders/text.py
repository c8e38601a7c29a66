"""Shared helpers for text sources: reading files and recognising 'Label: value' fields."""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.records import DESCRIPTIVE_FIELDS, Appearance

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
    r"^(?P<label>" + "|".join(re.escape(label) for label, _ in LABELS) + r")\s*:\s*(?P<value>.*)$",
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


def clean(value: str) -> str:
    """Trim a value and drop presentation escapes (Markdown dollar escapes, <u>, **)."""
    value = value.replace("\\$", "$")
    value = re.sub(r"</?u>|\*\*", "", value)
    return re.sub(r"[ \t\u00a0]+", " ", value).strip()


def match_label(line: str) -> tuple[str, str] | None:
    """Return (field name, value) when the line starts with a known 'Label:'."""
    stripped = line.strip()
    bare = BARE_LABELS.get(stripped.lower())
    if bare:
        return bare, ""
    m = _LABEL_RE.match(stripped)
    if not m:
        return None
    return _LABEL_FIELD[m.group("label").lower()], clean(m.group("value"))


def is_descriptive(name: str) -> bool:
    """True for fields whose text runs on over following lines."""
    return name in DESCRIPTIVE_FIELDS


def finish(app: Appearance, lines: list[str]) -> Appearance:
    """Set the appearance's full text from its line span (used to identify untitled ones)."""
    app.text = "\n".join(lines[app.start_line - 1 : app.end_line])
    return app
