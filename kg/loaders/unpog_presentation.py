"""Loader for the UNPOG presentation (2014): UNPOG itself and its joint project with UNESCAP.

A slide deck has no fields, so each fact is read from the sentence that states it; a missing
sentence is an error that names it, so a changed deck cannot silently lose a fact.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.errors import SourceError
from kg.loaders.text import clean, finish, read_lines
from kg.records import Appearance

FACTS: dict[str, re.Pattern[str]] = {
    "title": re.compile(r"^(?P<v>UN PROJECT OFFICE ON GOVERNANCE \(UNPOG\))"),
    "lead_division": re.compile(r"^(?P<v>Division for Public Administration and Development Management)$"),
    "time_frame": re.compile(r"^Established in (?P<v>\d{4})$"),
    "budget": re.compile(r"^Annual budget of (?P<v>[\d.]+ million USD)"),
    "funding": re.compile(r"^Annual budget of .* supported by (?P<v>Republic of Korea) through"),
    "focus": re.compile(r"^focus on the (?P<v>Asia-Pacific Region)$"),
    "brief_description": re.compile(r"^(?P<v>Assist Member States, in particular developing .*)$"),
}
JOINT = re.compile(r"^\(\d+\)\s*(?P<v>UNPOG-UNESCAP Joint Project)$")


def load_unpog_presentation(path: Path, doc_id: str) -> list[Appearance]:
    """Read UNPOG and the UNPOG-UNESCAP joint project from the presentation."""
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
        if name == "title":
            continue
        if name == "budget":
            value = f"{value} / year"
        if name == "time_frame":
            value = f"from {value}"
        unpog.add(name, clean(value), n)
    apps = [finish(unpog, lines)]

    start = next((n for n, raw in enumerate(lines, 1) if JOINT.match(raw.strip())), None)
    if start is None:
        raise SourceError(path, None, "section '(6) UNPOG-UNESCAP Joint Project' not found")
    end = (
        next(
            (n for n in range(start + 1, len(lines) + 1) if re.match(r"^\d\.\d ", lines[n - 1])),
            len(lines) + 1,
        )
        - 1
    )
    joint = Appearance(doc_id, str(path), start, end, "section", title=None)
    body = " ".join(clean(x) for x in lines[start:end] if clean(x) and not clean(x).isdigit())
    joint.add("brief_description", body, start + 1)
    joint.add("partners", "UNPOG, UNESCAP", start)
    apps.append(finish(joint, lines))
    return apps
