"""SPARQL result serialisation and content negotiation.

The store's SELECT results are written by pyoxigraph's own (Rust) serialisers into a
:class:`CappedSink`, which stops a runaway result at a byte cap; the row limit is then checked
on the written bytes, by counting only when the body is big enough to hold that many rows
(a lower bound per format), so a typical answer pays nothing for it. ``write_select`` writes
rows held in Python (remote results, pages) in the same formats.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

import pyoxigraph as ox

SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
# ?format= shorthands of result formats that also name an RDF syntax for graph results
GRAPH_FORMAT_ALIASES = {"xml": "application/rdf+xml", "json": "application/ld+json"}
# ?format= shorthands
FORMAT_ALIASES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nquads": "application/n-quads",
}


# pyoxigraph's serialisers of SELECT results, by our short name
NATIVE_SELECT = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# the fewest bytes one more row adds in each format: '{},' , '<result></result>', CRLF, LF
_MIN_ROW_BYTES = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}


class ResultTooLarge(Exception):
    """The result passed the byte cap while being written."""


class CappedSink(io.RawIOBase):
    """A binary writer for pyoxigraph's serialisers that refuses to grow past ``cap`` bytes."""

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap
        self.size = 0
        self.over = False
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        """Always: it is a sink."""
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        """Keep ``data``, or raise :class:`ResultTooLarge` (the serialiser stops) past the cap."""
        self.size += len(data)
        if self.size > self.cap:
            self.over = True
            raise ResultTooLarge(f"over {self.cap} bytes")
        self._parts.append(bytes(data))
        return len(data)

    def value(self) -> bytes:
        """Everything written."""
        return b"".join(self._parts)


def byte_cap(max_rows: int) -> int:
    """How many bytes a result may reach while being written: 1 KiB a row, at least 16 MiB."""
    return max(16 << 20, max_rows << 10)


_RESULT = re.compile(rb"<result>")
# the solution modifiers after the outer WHERE's closing brace, ending in LIMIT (and OFFSET)
_TAIL_LIMIT = re.compile(
    r"(?:(?<![?$\w])(?:GROUP|ORDER)\s+BY\s[^{}]*|(?<![?$\w])HAVING\s[^{}]*)?"
    r"(?:(?<![?$\w])OFFSET\s+\d+\s+)?(?<![?$\w])LIMIT\s+(\d+)(?:\s+OFFSET\s+\d+)?\s*",
    re.IGNORECASE,
)


def row_bound(query: str) -> int | None:
    """The most rows a query's outer LIMIT lets through, or None when it cannot be read for sure.

    Read only when everything after the outer group's closing brace is solution modifiers
    ending in LIMIT: no string or comment there (a ``}`` in an IRI is not allowed, so the last
    brace is the outer group's, or a string's whose quote would follow it).
    """
    end = query.rfind("}")
    tail = query[end + 1 :]
    if end < 0 or any(c in tail for c in "\"'#"):
        return None
    m = _TAIL_LIMIT.fullmatch(tail.strip() + " ")
    return int(m.group(1)) if m else None


def rows_over(body: bytes, kind: str, max_rows: int) -> bool:
    """Whether a complete SELECT result of ``kind`` holds more than ``max_rows`` rows.

    Only a body of at least ``max_rows`` times the fewest bytes a row takes can; then the rows
    are counted exactly (TSV escapes newlines; XML escapes ``<`` in text; CSV and JSON parsed).
    """
    if len(body) < max_rows * _MIN_ROW_BYTES[kind]:
        return False
    if kind == "tsv":
        count = body.count(b"\n") - 1  # the header line
    elif kind == "xml":
        count = len(_RESULT.findall(body))
    elif kind == "csv":
        count = sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    else:
        count = len(json.loads(body)["results"]["bindings"])
    return count > max_rows


class NotAcceptable(Exception):
    """No offered media type satisfies the request."""


def negotiate(accept: str | None, offered: Sequence[str], fmt: str | None = None) -> str:
    """Pick a media type: ``?format=`` wins, else the Accept header with q-values and wildcards.

    Ties keep the order of ``offered`` (our preference); an empty Accept gets the first.
    """
    if fmt:
        mime = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if mime not in offered:  # SPARQLWrapper sends format=xml / json for CONSTRUCT too: the RDF kind
            mime = GRAPH_FORMAT_ALIASES.get(fmt.lower(), mime)
        if mime in offered:
            return mime
        raise NotAcceptable(f"format {fmt!r} is not available here; use one of: {', '.join(offered)}")
    if not accept or not accept.strip():
        return offered[0]
    ranges: list[tuple[float, int, str]] = []
    for part in accept.split(","):
        media, *params = (x.strip() for x in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        ranges.append((q, specificity, media.lower()))
    best: tuple[float, int, str] | None = None
    for index, mime in enumerate(offered):
        # the most specific range that matches decides this type's q
        matching = [
            (spec, q)
            for q, spec, media in ranges
            if media == mime or media == "*/*" or (media.endswith("/*") and mime.startswith(media[:-1]))
        ]
        if not matching:
            continue
        q = max(matching)[1]
        if q > 0 and (best is None or q > best[0] or (q == best[0] and index < best[1])):
            best = (q, index, mime)
    if best is None:
        raise NotAcceptable(f"none of {accept!r} can be produced; available: {', '.join(offered)}")
    return best[2]


def _term_json(term: object) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {  # type: ignore[dict-item]
                "subject": _term_json(term.subject),
                "predicate": _term_json(term.predicate),
                "object": _term_json(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def term_from_json(term: dict) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    """A term of SPARQL 1.1 JSON results (or SPARQL-star's ``triple``) as a pyoxigraph term."""
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in term:
            return ox.Literal(value, language=term["xml:lang"])
        if "datatype" in term:
            return ox.Literal(value, datatype=ox.NamedNode(term["datatype"]))
        return ox.Literal(value)
    if kind == "triple":
        return ox.Triple(*(term_from_json(value[k]) for k in ("subject", "predicate", "object")))  # type: ignore[arg-type]
    raise ValueError(f"not a SPARQL JSON term: {term!r}")


def _term_xml(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{escape(term.language)}">{escape(term.value)}</literal>'
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f'<literal datatype="{escape(term.datatype.value)}">{escape(term.value)}</literal>'
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _term_tsv(term: object) -> str:
    return "" if term is None else str(term)


def _term_csv(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value  # type: ignore[attr-defined]


def write_select(variables: list[str], rows: Iterable[Sequence[object]], kind: str) -> bytes:
    """Serialise SELECT results (``rows`` hold terms or None, in ``variables`` order)."""
    if kind == "json":
        bindings = [{v: _term_json(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode()
    if kind == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        out += [f'<variable name="{escape(v)}"/>' for v in variables]
        out.append("</head><results>")
        for row in rows:
            out.append("<result>")
            out += [
                f'<binding name="{escape(v)}">{_term_xml(t)}</binding>'
                for v, t in zip(variables, row, strict=True)
                if t is not None
            ]
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode()
    if kind == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([_term_csv(t) for t in row])
        return buf.getvalue().encode()
    if kind == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(_term_tsv(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(kind)


def write_ask(value: bool, kind: str) -> bytes:
    """Serialise an ASK result."""
    if kind == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if kind == "xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    if kind == "csv":
        return f"_askResult\r\n{'true' if value else 'false'}\r\n".encode()
    return f"?_askResult\n{'true' if value else 'false'}\n".encode()
