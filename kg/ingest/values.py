"""Typed values from written text: time frames, budgets and explicitly named SDGs.

Each parser keeps what the text says and how precisely: 'April 2018' is a month, not the
first of April. Unreadable dates raise :class:`ValueError` with the text, for the caller to
turn into a file-and-line error.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from decimal import Decimal

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_DATE = re.compile(r"^(?:(?P<day>\d{1,2})\s+)?(?:(?P<month>[A-Za-z]+)\s+)?(?P<year>\d{4})$")
_RANGE_SPLIT = re.compile(r"\s*[-–—]\s*|\s+to\s+")


@dataclass(frozen=True)
class StatedDate:
    """A date as precise as the source: precision is 'day', 'month' or 'year'."""

    year: int
    month: int | None
    day: int | None

    @property
    def precision(self) -> str:
        """'day', 'month' or 'year'."""
        return "day" if self.day else "month" if self.month else "year"

    def first(self) -> str:
        """ISO date of the first day the stated date can mean."""
        return f"{self.year:04d}-{self.month or 1:02d}-{self.day or 1:02d}"

    def last(self) -> str:
        """ISO date of the last day the stated date can mean."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return f"{self.year:04d}-{month:02d}-{day:02d}"


@dataclass(frozen=True)
class TimeFrame:
    """A stated start and end (either may be open)."""

    start: StatedDate | None
    end: StatedDate | None


def parse_date(text: str) -> StatedDate:
    """'1 July 2016', 'April 2018' or '2013' -> a :class:`StatedDate`."""
    m = _DATE.match(text.strip().rstrip("."))
    if not m:
        raise ValueError(f"cannot read the date {text!r}; expected e.g. '1 July 2016', 'July 2016' or '2016'")
    month = None
    if m.group("month"):
        month = MONTHS.get(m.group("month").lower())
        if month is None:
            raise ValueError(
                f"unknown month {m.group('month')!r} in {text!r}; expected e.g. '1 July 2016', 'July 2016' or '2016'"
            )
    day = int(m.group("day")) if m.group("day") else None
    if day is not None and month is None:
        raise ValueError(f"a day without a month in {text!r}")
    year = int(m.group("year"))
    if day is not None and month is not None and day > calendar.monthrange(year, month)[1]:
        raise ValueError(f"no such day: {text!r}")
    return StatedDate(year, month, day)


def parse_time_frame(text: str, single: bool = False) -> TimeFrame:
    """Read a stated period: 'July 2013 - December 2015', '2013-2014', 'from 2006', 'Established in 2006'.

    Also '23-26 June 2014' and 'May - September 2014' (the year written once); with ``single``
    (an event's 'Date:') one date, 'October 2014', is both start and end.
    """
    text = re.sub(r"\s*\([^)]*\)$", "", text.strip())  # '23-26 June 2014 (4 days)'
    if not text:
        raise ValueError("empty time frame")
    opened = re.match(r"^(?:from|since|established in)\s+(?P<d>.+)$", text, re.IGNORECASE)
    if opened:
        return TimeFrame(parse_date(opened.group("d")), None)
    days = re.match(r"^(?P<a>\d{1,2})\s*[-–]\s*(?P<b>\d{1,2})\s+(?P<rest>[A-Za-z]+\.?\s+\d{4})$", text)
    if days:
        return TimeFrame(parse_date(f"{days['a']} {days['rest']}"), parse_date(f"{days['b']} {days['rest']}"))
    parts = _RANGE_SPLIT.split(text)
    if len(parts) == 1 and single:
        try:
            one = parse_date(text)
        except ValueError:
            one = None
        if one is not None:
            return TimeFrame(one, one)
    if len(parts) != 2:
        raise ValueError(
            f"cannot read the time frame {text!r}; expected 'start - end', e.g. 'July 2013 - December 2015'"
        )
    year = re.search(r"\d{4}$", parts[1].strip())
    if year and not re.search(r"\d{4}$", parts[0].strip()):  # 'May - September 2014'
        parts[0] = f"{parts[0].strip()} {year.group(0)}"
    start, end = parse_date(parts[0]), parse_date(parts[1])
    return TimeFrame(start, end)


@dataclass(frozen=True)
class Budget:
    """A stated amount; ``amount`` is None when the field is present but empty."""

    amount: Decimal | None
    currency: str
    basis: str  # "total" / "annual"


_AMOUNT = re.compile(
    r"^(?:(?P<annual_first>annual) budget of\s+)?"
    r"(?:US\s*\$|USD|\$)?\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<mult>million)?\s*(?:USD|US\$)?"
    r"\s*(?P<annual>/\s*year|per year|a year)?",
    re.IGNORECASE,
)


def parse_budget(text: str) -> Budget:
    """Read 'US$ 592,000' (total), '1.5 million USD / year' (annual); '' is unknown, never 0."""
    text = text.replace("\\$", "$").strip()
    if not text:
        return Budget(None, "USD", "total")
    m = _AMOUNT.match(text)
    if not m:
        raise ValueError(f"cannot read the budget {text!r}; expected e.g. 'US$ 592,000'")
    amount = Decimal(m.group("num").replace(",", ""))
    if m.group("mult"):
        amount *= 1_000_000
    amount = amount.normalize() if amount == amount.to_integral() else amount
    basis = "annual" if m.group("annual") or m.group("annual_first") else "total"
    return Budget(amount.quantize(Decimal(1)) if amount == amount.to_integral() else amount, "USD", basis)


_SDG_LIST = re.compile(
    r"\bSDGs?\s+(?P<list>\d{1,2}(?:\.[0-9a-z]{1,2})?(?:\s*(?:,|and)\s*\d{1,2}(?:\.[0-9a-z]{1,2})?)*)"
)


def find_sdgs(text: str) -> list[str]:
    """Goal and target codes named explicitly: 'SDG 7, 9, 16' -> ['7', '9', '16']."""
    codes: list[str] = []
    for m in _SDG_LIST.finditer(text):
        for code in re.split(r"\s*(?:,|and)\s*", m.group("list")):
            if code and code not in codes:
                codes.append(code)
    return codes
