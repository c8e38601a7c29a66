"""The library of competency queries: ``queries/*.rq`` files with a header.

Typed parameters are bound safely and the queries run on any backend.

A query file starts with comment lines::

    # title: Projects by SDG goal
    # description: Projects that address a goal, directly or through one of its targets.
    # param: goal iri = http://metadata.un.org/sdg/16 | The SDG goal (UN SDG KOS IRI).
    # needs: internet

A parameter is a SPARQL variable of the query (``?goal``). Values are parsed by type into RDF
terms and bound with a ``VALUES`` block injected at the top of the WHERE clause — never spliced
into the text as strings. A parameter of type ``endpoint`` (a SERVICE IRI) is the exception: it
replaces its variable by a validated IRI, so the SERVICE allow-list still applies to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError
from kg.server.guard import mask_strings

QUERIES_DIR = Path(__file__).resolve().parents[2] / "queries"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPES = ("iri", "endpoint", "string", "integer", "decimal", "date", "boolean", "links")
# Which SDG links a query follows: those a source states, those suggested from text, or both.
LINKS = ("stated", "suggested", "both")
_HEADER = re.compile(r"^#\s*(?P<key>title|description|param|needs|tags)\s*:\s*(?P<value>.*)$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)\s*(?:=\s*(?P<default>[^|]*?))?\s*(?:\|\s*(?P<doc>.*))?$")


class ParameterError(ValueError):
    """A parameter value that does not fit its declared type (HTTP 400)."""


@dataclass(frozen=True)
class Parameter:
    """A typed query parameter."""

    name: str
    type: str
    default: str | None
    description: str

    def term(self, raw: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a raw value, or a :class:`ParameterError` naming the parameter."""
        try:
            if self.type in ("iri", "endpoint"):
                if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", raw):
                    raise ValueError("not an absolute IRI")
                return ox.NamedNode(raw)
            if self.type == "string":
                return ox.Literal(raw)
            if self.type == "integer":
                return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD + "integer"))
            if self.type == "decimal":
                return ox.Literal(str(Decimal(raw)), datatype=ox.NamedNode(XSD + "decimal"))
            if self.type == "date":
                return ox.Literal(date.fromisoformat(raw).isoformat(), datatype=ox.NamedNode(XSD + "date"))
            if self.type == "links":
                if raw not in LINKS:
                    raise ValueError(f"one of {', '.join(LINKS)}")
                return ox.Literal(raw)
            if self.type == "boolean":
                if raw.lower() not in ("true", "false", "1", "0"):
                    raise ValueError("not true or false")
                value = "true" if raw.lower() in ("true", "1") else "false"
                return ox.Literal(value, datatype=ox.NamedNode(XSD + "boolean"))
        except (ValueError, InvalidOperation) as exc:
            raise ParameterError(f"parameter '{self.name}' must be {self.type}: {raw!r} ({exc})") from None
        raise ParameterError(f"parameter '{self.name}' has unknown type {self.type!r}")


@dataclass(frozen=True)
class NamedQuery:
    """One query of the library."""

    name: str
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = ()
    needs: tuple[str, ...] = ()
    path: Path = field(default=Path())

    def bind(self, values: dict[str, str]) -> str:
        """The query text with parameter values (or defaults) bound; unknown names are errors."""
        unknown = set(values) - {p.name for p in self.parameters}
        if unknown:
            raise ParameterError(f"unknown parameter(s) {', '.join(sorted(unknown))} for query '{self.name}'")
        text = self.text
        rows: list[tuple[str, str]] = []
        for p in self.parameters:
            raw = values.get(p.name, p.default)
            if raw is None or raw == "":
                raise ParameterError(f"parameter '{p.name}' ({p.type}) is required")
            term = p.term(raw)
            if p.type == "endpoint":
                text = re.sub(rf"\?{p.name}\b", str(term), text)
            else:
                rows.append((p.name, str(term)))
        if not rows:
            return text
        values_block = " ".join(f"VALUES ?{name} {{ {term} }}" for name, term in rows)
        return _inject_after_where(text, values_block)


def _inject_after_where(text: str, block: str) -> str:
    """Insert ``block`` right after the opening brace of the outermost WHERE clause."""
    masked = mask_strings(text)
    m = re.search(r"\bWHERE\s*\{", masked, re.IGNORECASE)
    if m is None:
        m = re.search(r"\{", masked)  # 'SELECT * { … }' without WHERE
    if m is None:
        raise KgError("query has no WHERE clause to bind parameters into")
    return text[: m.end()] + " " + block + " " + text[m.end() :]


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its header; a header error names the file and line."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Parameter] = []
    needs: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.group("key"), m.group("value").strip()
        if key == "param":
            pm = _PARAM.match(value)
            if not pm or pm.group("type") not in TYPES:
                raise KgError(
                    f"{path}:{n}: bad parameter line; expected '# param: NAME TYPE = DEFAULT | doc' "
                    f"with TYPE one of {', '.join(TYPES)}"
                )
            default = pm.group("default")
            params.append(
                Parameter(
                    pm.group("name"),
                    pm.group("type"),
                    default.strip() if default else None,
                    (pm.group("doc") or "").strip(),
                )
            )
        elif key == "needs":
            needs += [x.strip() for x in value.split(",") if x.strip()]
        else:
            meta[key] = value
    for required in ("title", "description"):
        if required not in meta:
            raise KgError(f"{path}: the header has no '# {required}:' line")
    for p in params:
        if not re.search(rf"\?{p.name}\b", text):
            raise KgError(f"{path}: parameter '{p.name}' is not a variable of the query")
    return NamedQuery(path.stem, meta["title"], meta["description"], text, tuple(params), tuple(needs), path)


def load_library(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every competency query (not the ``*-violation.rq`` checks), by name."""
    queries = {}
    for path in sorted(directory.glob("*.rq")):
        q = parse_query_file(path)
        queries[q.name] = q
    return queries
