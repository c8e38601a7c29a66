"""Every namespace the KG uses, and the one place where instance IRIs are minted.

IRIs are built from stable keys (project codes, ISO codes, curated slugs), never from
positions or counters, so that two builds of the same sources mint the same IRIs.
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/sdgkg/"

SDGKG = Namespace(BASE + "ontology#")
ONTOLOGY = URIRef(BASE + "ontology")
SDG = Namespace("http://metadata.un.org/sdg/")
SDGO = Namespace("http://metadata.un.org/sdg/ontology#")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")
VOID = Namespace("http://rdfs.org/ns/void#")

PREFIXES: dict[str, str] = {
    "sdgkg": str(SDGKG),
    "sdg": str(SDG),
    "sdgo": str(SDGO),
    "org": str(ORG),
    "prov": str(PROV),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "wd": str(WD),
    "void": str(VOID),
    "project": BASE + "project/",
    "organisation": BASE + "organisation/",
    "country": BASE + "country/",
    "group": BASE + "group/",
    "graph": BASE + "graph/",
    "source": BASE + "source/",
}

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str, *, max_words: int = 8) -> str:
    """Lower-case ASCII slug of at most ``max_words`` words: 'Côte d’Ivoire' -> 'cote-d-ivoire'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = [w for w in _SLUG_DROP.split(ascii_text.lower()) if w]
    return "-".join(words[:max_words])


_CODE_SHAPE = re.compile(r"^(?:DA)?(\d{4}[A-Z])$")


def project_key(code: str) -> str:
    """Canonical key of a project code, shared by all its written variants.

    '1617B' and 'DA1617B' are one Development Account project; 'ROA 206-8' and
    'ROA-206-8' are one code. The key is lower case with single hyphens.
    """
    compact = re.sub(r"\s+", "", code.strip().upper())
    m = _CODE_SHAPE.match(compact)
    if m:
        return m.group(1).lower()
    return slugify(code.replace("-", " "), max_words=6)


def _iri(*parts: str) -> URIRef:
    return URIRef(BASE + "/".join(parts))


def project_iri(key: str) -> URIRef:
    """IRI of a project from its canonical key (see :func:`project_key`)."""
    return _iri("project", key)


def role_iri(key: str, role: str, org_id: str) -> URIRef:
    """IRI of one organisation's role in one project: the same claim in two sources is one node."""
    return _iri("project", key, "role", f"{role}-{org_id}")


def timeframe_iri(key: str, start: str | None, end: str | None) -> URIRef:
    """IRI of a stated time frame, minted from its normalised dates."""
    return _iri("project", key, "timeframe", f"{start or 'open'}_{end or 'open'}")


def budget_iri(key: str, amount: str | None, currency: str, basis: str) -> URIRef:
    """IRI of a stated budget; an unknown budget gets '…/budget/unknown'."""
    if amount is None:
        return _iri("project", key, "budget", "unknown")
    return _iri("project", key, "budget", f"{amount}-{currency.lower()}-{basis}")


def organisation_iri(org_id: str) -> URIRef:
    """IRI of an organisation of the authority table."""
    return _iri("organisation", org_id)


def country_iri(iso3: str) -> URIRef:
    """IRI of a country or area, by its ISO 3166-1 alpha-3 code."""
    return _iri("country", iso3.upper())


def region_iri(m49: str) -> URIRef:
    """IRI of an M49 region, sub-region or intermediate region, by its M49 code."""
    return _iri("region", m49)


def group_iri(group_id: str) -> URIRef:
    """IRI of a named country group (LDC, LLDC, SIDS, 'developing countries', …)."""
    return _iri("group", group_id)


def membership_iri(group_id: str, iso3: str) -> URIRef:
    """IRI of a dated membership of a country in a group."""
    return _iri("group", group_id, "member", iso3.upper())


def source_iri(doc_id: str) -> URIRef:
    """IRI of a source document."""
    return _iri("source", doc_id)


def appearance_graph_iri(doc_id: str, appearance_id: str) -> URIRef:
    """IRI of the named graph holding what one source says in one project appearance."""
    return _iri("graph", "source", doc_id, appearance_id)


def mention_iri(graph: URIRef, field: str, index: int) -> URIRef:
    """IRI of a name mention within an appearance: its graph, field and position."""
    return URIRef(f"{graph}/mention/{field}-{index}")


def field_iri(graph: URIRef, index: int) -> URIRef:
    """IRI of the i-th source field of an appearance (stable: fields keep their source order)."""
    return URIRef(f"{graph}/field/{index}")


def repair_iri(graph: URIRef, index: int) -> URIRef:
    """IRI of the i-th repair made to an appearance's text."""
    return URIRef(f"{graph}/repair/{index}")


def suggestion_iri(project: URIRef, target: str) -> URIRef:
    """IRI of the suggestion that ``project`` serves SDG ``target`` ('16.6'): one per pair, stable."""
    return URIRef(f"{project}/sdg-suggestion/{target}")


def evidence_iri(suggestion: URIRef, rule: str, field: str) -> URIRef:
    """IRI of one rule's match in one text field, under its suggestion."""
    return URIRef(f"{suggestion}/evidence/{slugify(rule, max_words=12)}-{slugify(field)}")


def rule_iri(method: URIRef, rule: str) -> URIRef:
    """IRI of one rule of a suggestion method ('lexicon line 57' -> …/rule/lexicon-line-57)."""
    return URIRef(f"{method}/rule/{slugify(rule, max_words=12)}")


def method_iri(name: str) -> URIRef:
    """IRI of a versioned suggestion method."""
    return _iri("method", name)


def graph_iri(name: str) -> URIRef:
    """IRI of a dataset-level named graph (ontology, reference, provenance, inferred, …)."""
    return _iri("graph", name)


def sdg_iri(code: str) -> URIRef:
    """UN SDG KOS IRI of a goal ('16'), target ('16.6') or indicator code ('C160601')."""
    return SDG[code]


DATASET = URIRef(BASE + "dataset")


def skolemise(graph: Graph, under: str) -> Graph:
    """Replace blank nodes by IRIs ``BASE + under + <canonical label>``: stable across builds."""
    if not any(isinstance(x, BNode) for t in graph for x in t):
        return graph
    out = Graph()
    for triple in to_canonical_graph(graph):
        out.add(tuple(URIRef(BASE + under + str(x)) if isinstance(x, BNode) else x for x in triple))  # type: ignore[arg-type]
    return out
