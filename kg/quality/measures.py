"""Quality as linked data: W3C DQV measurements for the whole dataset and for each source.

A data steward compares sources and builds by figures (findings by severity and by check, the share
of projects with a budget, dates or a stated SDG, repairs made) without reading the whole report; a
federating agency reads the same figures from the DCAT catalogue. The metrics and dimensions are
data (`ontology/quality-metrics.ttl`); this module only counts.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.graph import namespaces as ns
from kg.graph.mapping import Quad
from kg.graph.namespaces import SCHEMA, SDGKG
from kg.quality.validate import Finding

GRAPH = ns.graph_iri("quality")
DQV = "http://www.w3.org/ns/dqv#"
SH = "http://www.w3.org/ns/shacl#"
DATASET = URIRef(ns.BASE + "dataset")
_SOURCE_GRAPH = re.compile(re.escape(ns.BASE) + r"graph/source/([^/]+)/")
# what a project needs for each completeness share
SHARES = {
    "projects-with-budget": (SDGKG.budget,),
    "projects-with-dates": (SCHEMA.startDate,),
    "projects-with-stated-sdg": (SDGKG.addressesSDG,),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Measurements:
    """Measurement nodes for one scope (the dataset or a source document)."""

    def __init__(self, scope: URIRef, key: str, label: str) -> None:
        self.scope, self.key, self.label, self.quads = scope, key, label, []  # type: ignore[var-annotated]

    def add(self, metric: str, value: int | float, what: str, *qualifiers: tuple[URIRef, URIRef]) -> None:
        tail = "/".join([metric] + [_slug(str(o).rsplit("#", 1)[-1].rsplit("/", 1)[-1]) for _, o in qualifiers])
        m = URIRef(f"{ns.BASE}quality/{self.key}/{tail}")
        literal = (
            Literal(round(value, 4), datatype=XSD.decimal) if isinstance(value, float) else Literal(value)
        )  # fmt: skip
        self.quads += [
            (m, RDF.type, URIRef(DQV + "QualityMeasurement"), GRAPH),
            (m, URIRef(DQV + "computedOn"), self.scope, GRAPH),
            (m, URIRef(DQV + "isMeasurementOf"), SDGKG[_camel(metric)], GRAPH),
            (m, URIRef(DQV + "value"), literal, GRAPH),
            (m, RDFS.label, Literal(f"{what} in {self.label}: {_shown(value)}"), GRAPH),
            (self.scope, URIRef(DQV + "hasQualityMeasurement"), m, GRAPH),
        ]
        self.quads += [(m, p, o, GRAPH) for p, o in qualifiers]


def _camel(metric: str) -> str:
    head, *rest = metric.split("-")
    return head + "".join(w.capitalize() for w in rest)


def _shown(value: int | float) -> str:
    return f"{value:.0%}" if isinstance(value, float) else str(value)


def measurement_quads(quads: Iterable[Quad], findings: list[Finding]) -> list[Quad]:
    """DQV measurements of the dataset and of each source document, in graph/quality."""
    projects: dict[str, set[URIRef]] = defaultdict(set)  # source doc -> projects it has
    having: dict[tuple[str, str], set[URIRef]] = defaultdict(set)  # (doc, share) -> projects with it
    repairs: dict[str, Counter[URIRef]] = defaultdict(Counter)  # doc -> rule -> repairs
    wanted = {p: share for share, props in SHARES.items() for p in props}
    rdf_type, project, repair_rule = RDF.type, SDGKG.Project, SDGKG.repairRule  # bound once: 10^6 quads
    doc_of: dict[object, str | None] = {}  # graph -> its source document (None: not a source graph)
    for s, p, o, g in quads:
        if g not in doc_of:
            found = _SOURCE_GRAPH.match(str(g))
            doc_of[g] = found.group(1) if found else None
        doc = doc_of[g]
        if doc is None:
            continue
        if p == rdf_type and o == project:
            projects[doc].add(s)  # type: ignore[arg-type]
        elif p in wanted:
            having[(doc, wanted[p])].add(s)  # type: ignore[arg-type]
        elif p == repair_rule:
            repairs[doc][o] += 1  # type: ignore[index]
    scopes = [(DATASET, "dataset", "the dataset", None)] + [
        (ns.source_iri(doc), f"source/{doc}", f"source {doc}", doc) for doc in sorted(projects)
    ]
    out: list[Quad] = []
    for scope, key, label, doc in scopes:
        m = _Measurements(scope, key, label)
        docs = [doc] if doc else sorted(projects)
        mine = set().union(*(projects[d] for d in docs)) if docs else set()
        m.add("project-count", len(mine), "Projects")
        for share in SHARES:
            have = set().union(*(having[(d, share)] for d in docs)) & mine if docs else set()
            m.add(share, len(have) / len(mine) if mine else 0.0, share.replace("-", " ").capitalize())
        rules: Counter[URIRef] = sum((repairs[d] for d in docs), Counter())
        m.add("repair-count", sum(rules.values()), "Repairs")
        for rule, n in sorted(rules.items()):
            m.add("repair-count", n, f"Repairs by rule {rule.rsplit('#', 1)[-1]}", (SDGKG.ofRepairRule, rule))
        mine_findings = [f for f in findings if doc is None or any(f"/graph/source/{doc}/" in g for g in f.sources)]
        by_severity = Counter(f.severity for f in mine_findings)
        for severity in ("Violation", "Warning", "Info"):
            qualifier = (SDGKG.ofSeverity, URIRef(SH + severity))
            m.add("finding-count", by_severity[severity], f"{severity} findings", qualifier)
        by_shape = Counter((f.shape_iri, f.shape, f.severity) for f in mine_findings)
        if doc is None:  # the checks' names, so pages and queries can show them
            out += [(URIRef(shape), RDFS.label, Literal(name), GRAPH) for shape, name, _ in sorted(by_shape)]
        for (shape, name, severity), n in sorted(by_shape.items()):
            m.add("finding-count", n, f"Findings '{name}'", (SDGKG.ofSeverity, URIRef(SH + severity)),
                  (SDGKG.ofShape, URIRef(shape)))  # fmt: skip
        out += m.quads
    return out
