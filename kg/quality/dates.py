"""Dates written in a record's text that fall outside its time frame, or end it otherwise.

Accomplishments dated before the project started, or an event's programme on days outside the
event's dates ("23 Apr." in the programme of a forum held on 23-26 June), are extraction or source
errors a data steward wants to see. Only dates with a month are read ("January 2014", "23 Apr.",
"18-19 May 2011"): a bare year in running text is too often about something else ("the 2030
Agenda"). A date without a year takes the year of a time frame that lies within one year.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from kg.ingest.reference import SOURCES_DIR, read_csv

MONTHS = SOURCES_DIR / "words" / "months.csv"
# Fields that report what was done: a date in them before the start is suspect.
DONE_FIELDS = frozenset({"key accomplishments", "outputs", "implementation status", "feedback"})
# Words that give the end of the record itself ("signed in September 2013 until December 2013").
_END = re.compile(r"\b(?:extended until|ended in|ends? in|until|till)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class DatedText:
    """A field's text with the time frame of its record in the same source."""

    record: str
    field: str
    field_name: str
    text: str
    line: int | None
    start: date
    end: date | None
    event: bool  # an event's whole text is its programme: dates after the end count too


@dataclass(frozen=True)
class DateOutside:
    """A date written in the text, outside the record's time frame."""

    record: str
    field: str
    written: str
    first: date
    last: date
    before: bool  # before the start (else after the end)
    line: int | None


@cache
def _pattern() -> tuple[re.Pattern[str], dict[str, int]]:
    months = {r["written"].lower(): int(r["month"]) for r in read_csv(MONTHS, ["written", "month"])}
    names = "|".join(sorted(months, key=len, reverse=True))
    day = r"(?:(?P<day>\d{1,2})(?:\s*(?:-|–|to)\s*(?P<day2>\d{1,2}))?\s+)"
    return (
        re.compile(rf"\b(?:{day}(?P<m1>{names})\b\.?(?:,?\s+(?P<y1>(?:19|20)\d\d))?|(?P<m2>{names})\s+(?P<y2>(?:19|20)\d\d))\b",
                   re.IGNORECASE),
        months,
    )  # fmt: skip


def _mentions(text: str, year_of_frame: int | None) -> Iterable[tuple[str, date, date]]:
    """``(as written, first day, last day)`` of every dated mention with a month."""
    pattern, months = _pattern()
    for m in pattern.finditer(text):
        if m.group("m1"):
            month, year = months[m.group("m1").lower()], m.group("y1")
            if m.group("day") is None and year is None:
                continue  # "May" alone is a word, not a date
        else:
            month, year = months[m.group("m2").lower()], m.group("y2")
        y = int(year) if year else year_of_frame
        if y is None:
            continue
        last_day = calendar.monthrange(y, month)[1]
        if m.group("m1") and m.group("day"):
            d1 = int(m.group("day"))
            d2 = int(m.group("day2") or d1)
            if not (1 <= d1 <= last_day and 1 <= d2 <= last_day):
                continue
            yield m.group(0).strip(), date(y, month, d1), date(y, month, d2)
        else:
            yield m.group(0).strip(), date(y, month, 1), date(y, month, last_day)


def find_dates_outside(texts: Iterable[DatedText]) -> list[DateOutside]:
    """Dates before the start in fields of work done, and outside the frame in an event's text."""
    found: list[DateOutside] = []
    for t in texts:
        if not t.event and t.field_name not in DONE_FIELDS:
            continue
        same_year = t.start.year if t.end is not None and t.end.year == t.start.year else None
        for written, first, last in _mentions(t.text, same_year):
            if last < t.start:
                found.append(DateOutside(t.record, t.field, written, first, last, True, t.line))
            elif t.event and t.end is not None and first > t.end:
                found.append(DateOutside(t.record, t.field, written, first, last, False, t.line))
    return found


@dataclass(frozen=True)
class EndInText:
    """An end the text gives ("until December 2013") that the record's time frame does not have."""

    record: str
    field: str
    written: str
    line: int | None


def find_contradicting_ends(texts: Iterable[DatedText]) -> list[EndInText]:
    """Ends stated in running text whose month and year the time frame's end does not share.

    Comment fields are left to the comment rule of shapes/extraction.ttl, which reads them whole.
    """
    found: list[EndInText] = []
    for t in texts:
        if t.end is None or t.field_name == "comment":
            continue
        pattern, _ = _pattern()
        for m in pattern.finditer(t.text):
            lead = _END.search(t.text[max(0, m.start() - 20) : m.start()])
            if lead is None or not m.group("y1") and not m.group("y2"):
                continue
            for written, first, last in _mentions(m.group(0), None):
                if not first <= t.end <= last:
                    found.append(EndInText(t.record, t.field, f"{lead.group(0)}{written}".strip(), t.line))
    return found
