"""Validation: SHACL shapes -> findings and a validation report as linked data.

Two engines sit behind :func:`validate`: ``fast`` (:mod:`kg.quality.shacl`, each constraint one SPARQL
query on pyoxigraph) and ``pyshacl``, the reference a test compares it against; shapes the fast
engine does not implement fall back to pySHACL. Both give the same :class:`kg.quality.shacl.Result`
list, from which one function writes the report: results get stable IRIs (a hash of what they
say), and each is linked to the source appearance graphs that describe its focus node.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

from kg.errors import KgError, SourceError
from kg.graph import namespaces as ns
from kg.graph.namespaces import SDGKG
from kg.graph.terms import from_ox, to_ox
from kg.quality import shacl
from kg.server.guard import Refusal, check_rdf_body

SHAPES_DIR = Path(__file__).resolve().parents[2] / "shapes"
ENGINES = ("fast", "pyshacl")
REPORT = URIRef(ns.BASE + "validation/report")
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
    """The report graph, its findings, the raw results, how long it took and which engine ran."""

    report: Graph
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    results: list[shacl.Result] = field(default_factory=list)
    engine: str = "fast"
    note: str = ""

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
    data: Graph | ox.Store,
    shapes: Graph,
    *,
    sources_of: dict[URIRef, list[URIRef]] | None = None,
    engine: str = "fast",
) -> Validation:
    """Validate ``data`` (a graph, or a store's union of graphs) against ``shapes``."""
    if engine not in ENGINES:
        raise KgError(f"unknown validator {engine!r} (known: {', '.join(ENGINES)})")
    started = time.perf_counter()
    note = ""
    results: list[shacl.Result] | None = None
    if engine == "fast":
        try:
            compiled = shacl.Engine(shapes)
            results = compiled.validate(data if isinstance(data, ox.Store) else graph_store(data))
        except shacl.Unsupported as exc:
            note = f"the fast validator does not implement these shapes ({exc}): using pySHACL"
            engine = "pyshacl"
    if results is None:
        results = pyshacl_results(data if isinstance(data, Graph) else store_graph(data), shapes)
    report, findings = report_of(results, shapes, label_in(data), sources_of or {})
    return Validation(report, findings, time.perf_counter() - started, results, engine, note)


def graph_store(graph: Graph) -> ox.Store:
    """An rdflib graph as a pyoxigraph store (for the fast engine)."""
    store = ox.Store()
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph)  # type: ignore[arg-type]
    return store


def store_graph(store: ox.Store) -> Graph:
    """A store's union of graphs as an rdflib graph (for pySHACL)."""
    graph = Graph()
    for q in store:
        graph.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return graph


def pyshacl_results(data: Graph, shapes: Graph) -> list[shacl.Result]:
    """Run pySHACL (the reference engine) and read its report into results."""
    try:
        _conforms, raw, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
        )
    except Exception as exc:  # pyshacl reports broken shapes with its own exception types
        raise KgError(f"SHACL validation failed to run: {exc}") from exc
    report: Graph = raw  # type: ignore[assignment]
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(r, SH.resultPath)
        out.append(
            shacl.Result(
                report.value(r, SH.focusNode),  # type: ignore[arg-type]
                report.value(r, SH.resultSeverity),  # type: ignore[arg-type]
                report.value(r, SH.sourceShape),  # type: ignore[arg-type]
                report.value(r, SH.sourceConstraintComponent),  # type: ignore[arg-type]
                path if isinstance(path, URIRef) else None,
                report.value(r, SH.value),  # type: ignore[arg-type]
                tuple(sorted(str(m) for m in report.objects(r, SH.resultMessage))),
            )
        )
    return out


def shape_iri(shapes: Graph, shape: URIRef | BNode) -> tuple[URIRef, URIRef | None]:
    """(IRI naming the shape, its node shape): property shapes are blank nodes, named after their node shape."""
    if isinstance(shape, URIRef):
        return shape, shape
    parent = shapes.value(None, SH.property, shape)
    name = shapes.value(shape, SH.name) or str(shapes.value(shape, SH.path)).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    if not isinstance(parent, URIRef):
        return URIRef(ns.BASE + "shapes#anonymous-" + ns.slugify(str(name))), None
    return URIRef(f"{parent}-{ns.slugify(str(name))}"), parent


def report_of(
    results: list[shacl.Result],
    shapes: Graph,
    label: Callable[[object], str],
    sources_of: dict[URIRef, list[URIRef]],
) -> tuple[Graph, list[Finding]]:
    """The report graph (stable result IRIs) and the sorted findings, whichever engine ran."""
    report = Graph()
    report.add((REPORT, RDF.type, SH.ValidationReport))
    findings = []
    for r in results:
        source, node_shape = shape_iri(shapes, r.shape)
        said = (r.focus, source, r.component, r.path, r.value)
        key = "|".join(shacl.sparql(x) if x is not None else "" for x in said)
        iri = URIRef(ns.BASE + "validation/" + hashlib.sha256((key + "|".join(r.messages)).encode()).hexdigest()[:32])
        sources = sources_of.get(r.focus, []) if isinstance(r.focus, URIRef) else []
        report.add((REPORT, SH.result, iri))
        for p, o in [
            (RDF.type, SH.ValidationResult),
            (SH.focusNode, r.focus),
            (SH.resultSeverity, r.severity),
            (SH.sourceShape, source),
            (SH.sourceConstraintComponent, r.component),
            (SH.resultPath, r.path),
            (SH.value, r.value),
            (SDGKG.nodeShape, node_shape),
            *[(SH.resultMessage, Literal(m)) for m in r.messages],
            *[(SDGKG.inSourceGraph, g) for g in sources],
        ]:
            if o is not None and not isinstance(o, BNode):
                report.add((iri, p, o))  # type: ignore[arg-type]
        if isinstance(r.shape, BNode):
            report.add((source, RDFS.label, Literal(_label(shapes, r.shape))))
        findings.append(
            Finding(
                severity=str(r.severity).rsplit("#", 1)[-1],
                shape=_label(shapes, r.shape),
                shape_iri=str(node_shape),
                focus=str(r.focus),
                focus_label=label(r.focus),
                message=r.messages[0] if r.messages else "",
                sources=tuple(str(g) for g in sources),
            )
        )
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.shape, f.focus, f.message))
    conforms = not any(f.severity == "Violation" for f in findings)
    report.add((REPORT, SH.conforms, Literal(conforms)))
    return report, findings


def label_in(data: Graph | ox.Store) -> Callable[[object], str]:
    """A function naming a node by its label in ``data``."""
    if isinstance(data, Graph):
        return lambda node: _label(data, node)
    preds = [to_ox(RDFS.label), to_ox(SKOS.prefLabel)]

    def label(node: object) -> str:
        if isinstance(node, URIRef):
            for p in preds:
                for q in data.quads_for_pattern(to_ox(node), p, None):  # type: ignore[arg-type]
                    if isinstance(q.object, ox.Literal):
                        return q.object.value
        return _label(Graph(), node)

    return label


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
