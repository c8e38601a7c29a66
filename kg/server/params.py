"""One strict parser for every request parameter the endpoint reads.

Each function returns a checked value or raises :class:`kg.server.guard.Refusal` (a 400 that says
which parameter is wrong and why). Nothing unchecked reaches a worker: a NaN timeout once
froze the pool, and an IRI spliced into query text was an injection.
"""

from __future__ import annotations

import math
import re

import pyoxigraph as ox

from kg.server.guard import Refusal
from kg.server.settings import Settings

MIN_TIMEOUT = 0.1  # seconds: below this a query cannot even reach its worker
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`\x7f]*$")


def one(params: list[tuple[str, str]], name: str) -> str | None:
    """The single value of ``name`` (400 when repeated); ``format`` keeps its first value."""
    values = [v for k, v in params if k == name]
    if name == "format":  # SPARQLWrapper repeats format= (as 'json' and as a media type): first wins
        values = values[:1]
    if len(values) > 1:
        raise Refusal(400, f"more than one '{name}' parameter")
    return values[0] if values else None


def timeout(raw: str | None, settings: Settings) -> float:
    """A finite number of seconds ≥ 0.1, capped by ``--max-timeout``."""
    if raw is None:
        return settings.timeout
    try:
        value = float(raw)
    except ValueError:
        raise Refusal(400, f"timeout must be a number of seconds, not {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise Refusal(400, f"timeout must be a finite number of seconds, not {raw[:40]!r}")
    if value < MIN_TIMEOUT:
        raise Refusal(400, f"timeout must be at least {MIN_TIMEOUT:g} s, not {raw[:40]!r}")
    return min(value, settings.max_timeout)


def iri(raw: str, name: str) -> str:
    """An absolute IRI (RFC 3987 characters only), as the engine itself would accept it."""
    if not _IRI.match(raw):
        raise Refusal(400, f'{name} must be an absolute IRI without spaces or <>"{{}}|\\^` (got {raw[:80]!r})')
    try:
        ox.NamedNode(raw)
    except ValueError as exc:
        raise Refusal(400, f"{name} is not a valid IRI: {exc}") from None
    return raw


def iris(params: list[tuple[str, str]], name: str) -> list[str]:
    """Every value of a repeatable IRI parameter, each checked."""
    return [iri(v, name) for k, v in params if k == name]


def bearer(header: str | None) -> bytes | None:
    """The token of an ``Authorization: Bearer`` header as bytes (any characters), else None."""
    if not header or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip().encode("utf-8", "surrogateescape")
