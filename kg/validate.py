"""Validation: SHACL shapes (pyshacl) -> a validation report as linked data.

The engine sits behind :func:`validate` so it can be swapped (e.g. for pyrudof). The report's
blank nodes are replaced by stable IRIs so the report can live in the published dataset, and
each result is linked to the source appearance graphs that describe its focus node.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

from kg import namespaces as ns
from kg.errors import KgError, SourceError
from kg.guard import Refusal, check_rdf_body
from kg.namespaces import SDGKG
from kg.terms import from_ox

SHAPES_DIR = Path(__file__).resolve().parent.parent / "shapes"
SEVERITIES = (SH.Violation, SH.Warning, SH.Info)


@dataclass(frozen=True)
class Finding:
    """One validation result, flattened for reports."""

    severity: str  # Violation / Warning / Info
    shape: str  # the shape's label (or local name)
    shape_iri: str  # the node shape's IRI (for a property shape: its node shape's)
    focus: str
    focus_label: str
    message: str
    sources: tuple[str, ...]


@dataclass
class Validation:
    """The report graph, its findings and how long it took."""

    report: Graph
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, severity: str) -> int:
        """Number of findings of a severity ('Violation', 'Warning', 'Info')."""
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def conforms(self) -> bool:
        """True when there is no Violation (Warnings and Infos do not fail)."""
        return self.count("Violation") == 0


def load_shapes(directory: Path = SHAPES_DIR) -> Graph:
    """All ``*.ttl`` shapes files of a directory (or one file) as one graph."""
    paths = [directory] if directory.is_file() else sorted(directory.glob("*.ttl"))
    if not paths:
        raise KgError(f"{directory}: no shapes (*.ttl) found")
    shapes = Graph()
    for path in paths:
        try:
            shapes.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several parser exception types
            raise SourceError(path, getattr(exc, "lines", None), f"invalid Turtle: {exc}") from exc
    return shapes


def validate(
    data: Graph,
    shapes: Graph,
    *,
    sources_of: dict[URIRef, list[URIRef]] | None = None,
) -> Validation:
    """Validate ``data`` against ``shapes``; link results to ``sources_of[focus]`` graphs."""
    started = time.perf_counter()
    try:
        _conforms, raw, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
        )
    except Exception as exc:  # pyshacl reports broken shapes with its own exception types
        raise KgError(f"SHACL validation failed to run: {exc}") from exc
    raw_report: Graph = raw  # type: ignore[assignment]
    sources_of = sources_of or {}
    findings = []
    for result in raw_report.subjects(RDF.type, SH.ValidationResult):
        focus = raw_report.value(result, SH.focusNode)
        severity = raw_report.value(result, SH.resultSeverity)
        shape = raw_report.value(result, SH.sourceShape)
        message = raw_report.value(result, SH.resultMessage)
        sources = sources_of.get(focus, []) if isinstance(focus, URIRef) else []
        for g in sources:
            raw_report.add((result, SDGKG.inSourceGraph, g))
        node_shape = shape if isinstance(shape, URIRef) else shapes.value(None, SH.property, shape)
        if isinstance(node_shape, URIRef):
            raw_report.add((result, SDGKG.nodeShape, node_shape))
        findings.append(
            Finding(
                severity=str(severity).rsplit("#", 1)[-1],
                shape=_label(shapes, shape),
                shape_iri=str(node_shape),
                focus=str(focus),
                focus_label=_label(data, focus),
                message=str(message) if message else "",
                sources=tuple(str(g) for g in sources),
            )
        )
    report = ns.skolemise(raw_report, "validation/")
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.shape, f.focus, f.message))
    return Validation(report, findings, time.perf_counter() - started)


SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


def _label(graph: Graph, node: object) -> str:
    """A node's label: rdfs:label, skos:prefLabel, else what ends its IRI."""
    if node is None:
        return ""
    for p in (RDFS.label, SKOS.prefLabel):
        value = graph.value(node, p)  # type: ignore[arg-type]
        if isinstance(value, Literal):
            return str(value)
    if isinstance(node, URIRef):
        # property shapes are blank nodes of the shapes graph: name them by sh:name
        return str(node).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    name = graph.value(node, SH.name)  # type: ignore[arg-type]
    path = graph.value(node, SH.path)  # type: ignore[arg-type]
    parent = graph.value(None, SH.property, node)  # type: ignore[arg-type]
    base = _label(graph, parent) if parent is not None else ""
    detail = str(name) if name else str(path).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return f"{base}: {detail}" if base else detail


def summary_markdown(v: Validation) -> str:
    """``validation.md``: counts by severity and by shape, then each finding."""
    lines = ["# Validation report", "", "Generated by `kg build` — do not edit.", ""]
    lines += ["| severity | findings |", "|---|---|"]
    lines += [f"| {s} | {v.count(s)} |" for s in SEVERITY_ORDER]
    by_shape = Counter((f.severity, f.shape) for f in v.findings)
    lines += ["", "## By shape", "", "| severity | shape | findings |", "|---|---|---|"]
    for (sev, shape), n in sorted(by_shape.items(), key=lambda x: (SEVERITY_ORDER[x[0][0]], x[0][1])):
        lines.append(f"| {sev} | {shape} | {n} |")
    lines += ["", "## Findings", ""]
    for f in v.findings:
        where = ", ".join(s.removeprefix(ns.BASE + "graph/source/") for s in f.sources) or "reference data"
        lines.append(f"- **{f.severity}** — {f.shape} — {f.focus_label} (<{f.focus}>): {f.message} [source: {where}]")
    return "\n".join(lines) + "\n"


RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def read_data(path: Path) -> Graph:
    """Read an RDF file (by extension) or a build directory as one graph (the union).

    Files are parsed by pyoxigraph: no DTD or entity expansion (RDF/XML declaring them is
    refused), no remote or ``file:`` JSON-LD contexts, and a 2 MB literal in well under a second.
    """
    if path.is_dir():
        path = path / "dataset.nq"
        if not path.is_file():
            raise KgError(f"{path.parent} holds no dataset.nq: run 'kg build' or name an RDF file")
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(RDF_FORMATS))
        raise KgError(f"{path}: unknown RDF file extension {path.suffix!r} (known: {known})")
    if not path.is_file():
        raise KgError(f"{path}: no such file")
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, None, f"cannot read the file ({exc.strerror})") from None
    try:
        check_rdf_body(body, fmt.media_type)
        graph = Graph()
        for q in ox.parse(body, format=fmt, base_iri=path.resolve().as_uri()):
            graph.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    except Refusal as r:
        raise SourceError(path, None, r.message) from None
    except SyntaxError as exc:
        line = exc.lineno if isinstance(getattr(exc, "lineno", None), int) else None
        raise SourceError(
            path, line, f"cannot parse as {fmt.name}: {exc.msg if hasattr(exc, 'msg') else exc}"
        ) from None
    except ValueError as exc:
        raise SourceError(path, None, f"cannot parse as {fmt.name}: {exc}") from None
    return graph
