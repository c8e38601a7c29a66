"""Linked-data views of the KG: resource descriptions, labels, index data, VoID and DCAT.

Everything is read with SPARQL through the server's backend, so pages work the same on the
embedded store and on a remote one. Functions here return plain Python data; the HTML is in
templates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from kg.graph.namespaces import PREFIXES
from kg.server.workers import Job

Select = Callable[[str], list[dict[str, dict[str, str]]]]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL_PROPS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/title",
)
GRAPH_NAMES = {
    "ontology": "ontology",
    "sdg": "UN SDG KOS",
    "countries": "countries and groups",
    "organisations": "organisation authority table",
    "provenance": "provenance",
    "curation": "curation (display labels)",
    "conflicts": "conflicts (computed)",
    "text-checks": "text checks (computed: misspellings, near-duplicate texts, dates and regions in text)",
    "quality": "quality measurements (W3C DQV: findings, completeness shares and repairs per source and dataset)",
    "inferred": "inferred (reasoning)",
    "validation": "validation report",
}


def iri(term: str) -> str:
    """An IRI as a SPARQL term (IRIs come from the store or the request path, validated by the caller)."""
    return "<" + term.replace(">", "%3E").replace(" ", "%20") + ">"


@dataclass
class Value:
    """An object value for display: an IRI with its label and link, or a literal."""

    value: str
    is_iri: bool
    label: str = ""
    href: str | None = None
    datatype: str | None = None
    lang: str | None = None


@dataclass
class Statement:
    """A property with its values and the graphs that state each value."""

    prop: str
    prop_label: str
    values: list[tuple[Value, list[tuple[str, str]]]] = field(default_factory=list)  # value, [(graph href, name)]
    also: list[tuple[str, str]] = field(default_factory=list)  # super-properties folded into this one: (iri, label)


@dataclass
class Description:
    """Everything a resource page shows."""

    iri: str
    label: str
    types: list[Value]
    statements: list[Statement]
    inverse: list[tuple[str, str, int, list[Value]]]  # property, label, count, sample subjects
    conflicts: list[dict[str, str]]
    findings: list[dict[str, str]]
    sdg_path: list[Value]
    graph_contents: list[tuple[Value, Value, Value]]
    exists: bool
    fields: list[dict[str, object]] = field(default_factory=list)  # how each value was stated


class Linker:
    """Maps IRIs to local links: minted IRIs to paths, other described IRIs to /resource?iri=."""

    def __init__(self, base: str) -> None:
        self.base = base

    def href(self, term: str) -> str | None:
        """The local link for an IRI (or the IRI itself when it is external)."""
        if term.startswith(self.base):
            rest = term[len(self.base) :]
            if rest.startswith("ontology#"):
                return "/ontology#" + rest.split("#", 1)[1]
            return "/" + quote(rest, safe="/#:@!$&'()*+,;=-._~")
        if term.startswith("http://metadata.un.org/sdg/") and "/ontology" not in term:
            return "/resource?iri=" + quote(term, safe="")  # SDG concepts are described in the KOS graph
        return term if term.startswith(("http://", "https://")) else None

    def graph_name(self, graph: str) -> str:
        """A short human name for a named graph."""
        rest = graph.removeprefix(self.base + "graph/")
        if rest.startswith("source/"):
            return "source: " + rest.removeprefix("source/")
        return GRAPH_NAMES.get(rest, rest)


def labels_for(select: Select, terms: set[str]) -> dict[str, str]:
    """Display labels for IRIs (English preferred), in one query."""
    if not terms:
        return {}
    values = " ".join(iri(t) for t in sorted(terms))
    rows = select(f"""SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }}
        VALUES ?p {{ {" ".join(iri(p) for p in LABEL_PROPS)} }}
        ?x ?p ?l . FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }}""")
    found: dict[str, str] = {}
    for r in rows:
        found.setdefault(r["x"]["value"], r["l"]["value"])
    return found


def short(term: str) -> str:
    """What ends an IRI, as a fallback label."""
    return term.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


SDG_KOS = "http://metadata.un.org/sdg/"
_SDG_CODE = re.compile(r"^\d+(\.[0-9a-z]+){0,2}$")


def sdg_code(term: str) -> str | None:
    """'16.6' for http://metadata.un.org/sdg/16.6 (goals, targets, indicators); None otherwise."""
    if not term.startswith(SDG_KOS):
        return None
    code = term[len(SDG_KOS) :]
    return code if _SDG_CODE.match(code) else None


def sdg_order(code: str | None) -> tuple:
    """A sort key in KOS order: numbers numerically, lettered targets (16.a) after numbered ones."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in (code or "").split("."))


def _merge_same_values(statements: list[Statement]) -> list[Statement]:
    """Two properties listing the very same values (hasTarget and skos:narrower) make one row."""
    out: list[Statement] = []
    first: dict[frozenset, Statement] = {}
    for st in sorted(statements, key=lambda st: (st.prop_label.lower(), st.prop)):
        key = frozenset((v.value, v.is_iri) for v, _ in st.values)
        if len(key) > 1 and key in first:  # a single shared value (a label, a type) is no duplicate list
            first[key].also.append((st.prop, st.prop_label))
            continue
        first.setdefault(key, st)
        out.append(st)
    return out


def _distinct_labels(rows: list[tuple]) -> list[tuple]:
    """Two properties with one label (sdgkg:agent, prov:agent: "agent") get their prefixed names."""
    count = Counter(row[1] for row in rows)

    def named(p: str) -> str:
        for prefix, ns in PREFIXES.items():
            if p.startswith(str(ns)):
                return f"{prefix}:{p[len(str(ns)) :]}"
        return p

    return [(row[0], f"{row[1]} ({named(row[0])})", *row[2:]) if count[row[1]] > 1 else row for row in rows]


def _fold_super_properties(select: Select, by_prop: dict[str, Statement], labels: dict[str, str]) -> list[Statement]:
    """Each value once: a super-property's copy of a value (inferred) folds into the sub-property.

    The sub-property that states the value names the super-property instead of a second row.
    """
    if len(by_prop) < 2:
        return list(by_prop.values())
    values = " ".join(iri(p) for p in by_prop)
    above: dict[str, set[str]] = {}
    for r in select(f"""SELECT ?sub ?super WHERE {{ VALUES ?sub {{ {values} }} VALUES ?super {{ {values} }}
            ?sub <http://www.w3.org/2000/01/rdf-schema#subPropertyOf>+ ?super FILTER(?sub != ?super) }}"""):
        above.setdefault(r["sub"]["value"], set()).add(r["super"]["value"])
    for sub, supers in above.items():
        shown = {(v.value, v.is_iri) for v, _ in by_prop[sub].values}
        for sup in sorted(supers):
            st = by_prop[sup]
            kept = [(v, g) for v, g in st.values if (v.value, v.is_iri) not in shown]
            if len(kept) < len(st.values):
                by_prop[sub].also.append((sup, labels.get(sup, short(sup))))
                st.values = kept
    return [st for st in by_prop.values() if st.values]


def describe(select: Select, linker: Linker, subject: str) -> Description:
    """Gather what a resource page needs."""
    s = iri(subject)
    rows = select(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {s} ?p ?o }} }}")
    inverse_rows = select(f"""SELECT ?p (COUNT(DISTINCT ?x) AS ?n)
        (GROUP_CONCAT(DISTINCT STR(?x); separator=" ") AS ?xs)
        WHERE {{ ?x ?p {s} FILTER(isIRI(?x)) }} GROUP BY ?p ORDER BY ?p""")
    graph_rows = select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {s} {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o LIMIT 500")
    terms = {subject}
    for r in rows:
        terms.add(r["p"]["value"])
        if r["o"]["type"] == "uri":
            terms.add(r["o"]["value"])
    samples: list[tuple[str, int, list[str]]] = []
    for r in inverse_rows:
        xs = r["xs"]["value"].split()[:20]
        samples.append((r["p"]["value"], int(r["n"]["value"]), xs))
        terms.add(r["p"]["value"])
        terms.update(xs)
    for r in graph_rows:
        for k in ("s", "p", "o"):
            if r[k]["type"] == "uri":
                terms.add(r[k]["value"])
    labels = labels_for(select, terms)

    def val(term: dict[str, str]) -> Value:
        if term["type"] == "uri":
            t = term["value"]
            code = sdg_code(t)
            label = labels.get(t, short(t))
            return Value(t, True, f"{code} {label}" if code and label != code else label, linker.href(t))
        return Value(term["value"], False, term["value"], None, term.get("datatype"), term.get("xml:lang"))

    by_prop: dict[str, Statement] = {}
    types: list[Value] = []
    for r in rows:
        p = r["p"]["value"]
        v = val(r["o"])
        g = r["g"]["value"]
        if p == RDF_TYPE:
            if all(t.value != v.value for t in types):
                types.append(v)
            continue
        st = by_prop.setdefault(p, Statement(p, labels.get(p, short(p))))
        for existing, graphs in st.values:
            if existing.value == v.value and existing.is_iri == v.is_iri:
                if all(href != linker.href(g) for href, _ in graphs):
                    graphs.append((linker.href(g) or g, linker.graph_name(g)))
                break
        else:
            st.values.append((v, [(linker.href(g) or g, linker.graph_name(g))]))
    for st in by_prop.values():  # SDG goals, targets and indicators in KOS order (16.2 before 16.10, 16.a last)
        if st.values and all(sdg_code(v.value) for v, _ in st.values):
            st.values.sort(key=lambda vg: sdg_order(sdg_code(vg[0].value)))
    folded = _merge_same_values(_fold_super_properties(select, by_prop, labels))
    statements = sorted(folded, key=lambda st: (st.prop_label.lower(), st.prop))
    inverse = [
        (p, labels.get(p, short(p)), n, [Value(x, True, labels.get(x, short(x)), linker.href(x)) for x in xs])
        for p, n, xs in samples
    ]
    inverse = _distinct_labels(inverse)
    conflicts = [
        {"field": r["field"]["value"], "stated": r["stated"]["value"], "refinement": r.get("kind", {}).get("value")}
        for r in select(f"""
        PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        SELECT ?field ?stated ?kind WHERE {{ ?c sdgkg:conflictOf {s} ; sdgkg:conflictField ?field ;
        sdgkg:valuesStated ?stated OPTIONAL {{ ?c sdgkg:refinementKind ?kind }} }} ORDER BY ?field""")
    ]
    findings = [
        {"severity": r["sev"]["value"].rsplit("#", 1)[1], "message": r["msg"]["value"]}
        for r in select(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT DISTINCT ?sev ?msg WHERE {{ GRAPH <{linker.base}graph/validation> {{
          ?r sh:focusNode {s} ; sh:resultSeverity ?sev ; sh:resultMessage ?msg }} }} ORDER BY ?sev ?msg""")
    ]
    sdg_rows = (
        select(f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?b (COUNT(?mid) AS ?depth) WHERE {{ {s} skos:broader+ ?b . ?b skos:broader* ?mid }}
        GROUP BY ?b ORDER BY ?depth""")
        if subject.startswith("http://metadata.un.org/sdg/")
        else []
    )
    sdg_terms = {r["b"]["value"] for r in sdg_rows}
    sdg_labels = labels_for(select, sdg_terms) if sdg_terms else {}
    sdg_path = [
        Value(
            r["b"]["value"],
            True,
            short(r["b"]["value"]) + " " + sdg_labels.get(r["b"]["value"], "")[:60],
            linker.href(r["b"]["value"]),
        )
        for r in sdg_rows
    ]
    contents = [(val(r["s"]), val(r["p"]), val(r["o"])) for r in graph_rows]
    label = labels.get(subject) or short(subject)
    exists = bool(rows or inverse_rows or graph_rows)
    has_fields = any(st.prop.endswith("ontology#hasField") for st in statements)
    fields = source_fields(select, s) if has_fields else []
    return Description(
        subject, label, types, statements, inverse, conflicts, findings, sdg_path, contents, exists, fields
    )


def source_fields(select: Select, s: str) -> list[dict[str, object]]:
    """Where each value came from (file, line, label as written, how stated) and the repairs made to it.

    A data steward reads the record against its source: what the page says, how it said it, and
    every cleaning applied, with the text as written (issue 13).
    """
    rows = select(f"""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?f ?file ?line ?label ?how ?text ?rule ?before ?after WHERE {{
          {s} sdgkg:hasField ?f . ?f sdgkg:fieldName ?name ; sdgkg:statedAs ?mode ; rdfs:label ?where .
          ?mode rdfs:label ?how .
          OPTIONAL {{ ?f sdgkg:line ?line }} OPTIONAL {{ ?f sdgkg:labelAsWritten ?l }}
          OPTIONAL {{ ?f sdgkg:asWritten ?text }}
          OPTIONAL {{ ?f sdgkg:hasRepair ?r . ?r sdgkg:repairRule ?rr ; sdgkg:asWritten ?before ;
                      sdgkg:repairedValue ?after . ?rr rdfs:label ?rule }}
          BIND(REPLACE(STR(?where), ":.*$", "") AS ?file)
          BIND(COALESCE(?l, ?name) AS ?label)
        }} ORDER BY ?file ?line ?label""")
    fields: dict[str, dict[str, object]] = {}
    for r in rows:
        f = fields.setdefault(
            r["f"]["value"],
            {
                "file": r["file"]["value"],
                "line": r.get("line", {}).get("value", ""),
                "label": r["label"]["value"],
                "how": r["how"]["value"],
                "text": r.get("text", {}).get("value", ""),
                "repairs": [],
            },
        )
        if "rule" in r:
            repair = (r["rule"]["value"], r["before"]["value"], r["after"]["value"])
            if repair not in f["repairs"]:  # type: ignore[operator]
                f["repairs"].append(repair)  # type: ignore[union-attr]
    loose = select(f"""PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?rule ?before ?after ?line WHERE {{ {s} sdgkg:hasRepair ?r . ?r sdgkg:repairRule ?rr ;
          sdgkg:asWritten ?before ; sdgkg:repairedValue ?after . ?rr rdfs:label ?rule OPTIONAL {{ ?r sdgkg:line ?line }}
          FILTER NOT EXISTS {{ ?f sdgkg:hasRepair ?r ; a sdgkg:SourceField }} }} ORDER BY ?line""")
    if loose:  # repairs to text outside any field (boilerplate between fields, markup in running text)
        fields["record"] = {
            "file": "",
            "line": "",
            "label": "(outside the fields)",
            "how": "",
            "text": "",
            "repairs": sorted({(r["rule"]["value"], r["before"]["value"], r["after"]["value"]) for r in loose}),
        }
    return list(fields.values())


def schema_org(desc: Description) -> str | None:
    """Embedded schema.org JSON-LD for a project page (search engines, dataset tools)."""
    if not any(t.value.endswith("ontology#Project") for t in desc.types):
        return None
    data: dict[str, object] = {
        "@context": {"@vocab": "https://schema.org/"},  # inline: offline JSON-LD processors cannot fetch schema.org
        "@type": "Project",
        "@id": desc.iri,
        "name": desc.label,
        "url": desc.iri,
    }
    props = {st.prop: st for st in desc.statements}
    k = "https://w3id.org/sdgkg/ontology#"
    for prop, key in (
        (k + "briefDescription", "description"),
        (k + "objective", "description"),
        ("https://schema.org/startDate", "startDate"),
        ("https://schema.org/endDate", "endDate"),
    ):
        if prop in props and key not in data:
            data[key] = props[prop].values[0][0].value
    for prop, key in (
        (k + "fundingSource", "funder"),
        (k + "donor", "funder"),
        (k + "partner", "member"),
        (k + "focusCountry", "areaServed"),
    ):
        if prop in props:
            data.setdefault(key, [])
            data[key] += [{"@id": v.value, "name": v.label} for v, _ in props[prop].values]  # type: ignore[operator]
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def file_facts(build_dir: Path, names: tuple[str, ...]) -> list[dict[str, object]]:
    """Byte size and sha256 of each dump file that exists."""
    facts = []
    for name in names:
        path = build_dir / name
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            facts.append({"name": name, "bytes": path.stat().st_size, "sha256": digest})
    return facts


class QueryFailed(RuntimeError):
    """A page's query did not answer; ``status`` is the backend's (503 when every worker is busy)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"query failed ({status}): {detail}")
        self.status = status


def run_select(backend: object, text: str, timeout: float = 30.0, wait: float = 2.0) -> list[dict[str, dict[str, str]]]:
    """A SELECT through the backend, as SPARQL JSON bindings (raises :class:`QueryFailed`)."""
    answer = backend.run(
        Job("query", text, accept="application/sparql-results+json", max_rows=10**6),  # type: ignore[attr-defined]
        timeout=timeout,
        wait=wait,
    )
    if answer.status != 200:
        raise QueryFailed(answer.status, answer.body[:300].decode("utf-8", "replace"))
    return json.loads(answer.body)["results"]["bindings"]


_IATI_PREFIXES = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/> PREFIX dct: <http://purl.org/dc/terms/> PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> """
_IATI_PANEL = {
    "roles": """SELECT ?code ?role ?org ?name ?ref WHERE { $s sdgkg:hasRole ?r . ?r sdgkg:iatiRoleCode ?code ;
        sdgkg:agent ?org . OPTIONAL { ?r sdgkg:roleType/skos:prefLabel ?role }
        OPTIONAL { ?org skos:prefLabel ?name } OPTIONAL { ?org sdgkg:iatiOrganisationIdentifier ?ref } }
        ORDER BY ?code ?name""",
    "recipients": """SELECT ?code ?vocabulary ?percentage ?to ?name WHERE { $s sdgkg:recipientShare ?x .
        ?x sdgkg:iatiCode ?code . OPTIONAL { ?x sdgkg:iatiVocabulary ?vocabulary }
        OPTIONAL { ?x sdgkg:percentage ?percentage }
        OPTIONAL { ?x sdgkg:recipient ?to OPTIONAL { ?to skos:prefLabel ?name FILTER(LANG(?name) IN ("en", "")) } } }
        ORDER BY ?vocabulary ?code""",
    "sectors": """SELECT ?code ?vocabulary ?percentage ?name WHERE { $s sdgkg:sectorShare ?x .
        ?x sdgkg:iatiCode ?code ; sdgkg:iatiVocabulary ?vocabulary . OPTIONAL { ?x sdgkg:percentage ?percentage }
        OPTIONAL { ?x sdgkg:recipient/skos:prefLabel ?name } } ORDER BY ?vocabulary ?code""",
    "budgets": """SELECT ?start ?end ?value ?currency ?type ?status WHERE { $s sdgkg:periodBudget ?b .
        OPTIONAL { ?b dcat:startDate ?start } OPTIONAL { ?b dcat:endDate ?end } OPTIONAL { ?b schema:value ?value }
        OPTIONAL { ?b schema:currency ?currency } OPTIONAL { ?b sdgkg:budgetType ?type }
        OPTIONAL { ?b sdgkg:budgetStatus ?status } } ORDER BY ?start""",
    "transactions": """SELECT ?date ?typeName ?value ?currency ?provider ?receiver ?fromActivity ?toActivity WHERE {
        $s sdgkg:transaction ?t . ?t sdgkg:transactionType ?type . OPTIONAL { ?t dct:date ?date }
        OPTIONAL { ?t schema:value ?value } OPTIONAL { ?t schema:currency ?currency }
        OPTIONAL { ?t sdgkg:provider/skos:prefLabel ?provider } OPTIONAL { ?t sdgkg:receiver/skos:prefLabel ?receiver }
        OPTIONAL { ?t sdgkg:providerActivity ?fromActivity } OPTIONAL { ?t sdgkg:receiverActivity ?toActivity }
        BIND(IRI(CONCAT("https://w3id.org/sdgkg/iati/codelist/TransactionType/", ?type)) AS ?tc)
        OPTIONAL { ?tc skos:prefLabel ?label } BIND(COALESCE(?label, ?type) AS ?typeName) } ORDER BY ?date""",
    "sdgs": """SELECT ?code ?element ?vocabulary ?concept WHERE { $s sdgkg:sdgStatement ?x .
        ?x sdgkg:iatiCode ?code ; sdgkg:statedByElement ?element ; sdgkg:iatiVocabulary ?vocabulary .
        OPTIONAL { ?x sdgkg:sdgConcept ?concept } } ORDER BY ?element ?code""",
}


def iati_panel(select: Select, subject: str) -> dict[str, list[dict[str, str]]] | None:
    """What a page shows of an imported IATI activity, table by table; None for other resources."""
    s = iri(subject)
    ident = select(f"{_IATI_PREFIXES} SELECT ?id WHERE {{ {s} sdgkg:iatiIdentifier ?id }} LIMIT 1")
    if not ident:
        return None
    panel: dict[str, list[dict[str, str]]] = {"identifier": [{"id": ident[0]["id"]["value"]}]}
    for name, query in _IATI_PANEL.items():
        rows = select(_IATI_PREFIXES + query.replace("$s", s))
        panel[name] = [{k: v["value"] for k, v in row.items()} for row in rows]
    return panel


_SUMMARY_PREFIXES = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <https://schema.org/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> """
SDGKG_NS = "https://w3id.org/sdgkg/ontology#"
ROLES = ("leadDivision", "fundingSource", "donor", "accountable", "extending", "implementer", "partner")


def project_summary(select: Select, linker: Linker, subject: str) -> dict[str, object]:
    """A project at a glance: when, where, with whom, how much (the card at the top of its page)."""
    s = iri(subject)
    p = _SUMMARY_PREFIXES
    # one aggregate per query: pyoxigraph's MIN/MAX give no value when a row lacks the variable
    tf = f"PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?x WHERE {{ {s} sdgkg:timeFrame ?tf . "
    first = select(p + tf.replace("?x", "(MIN(?v) AS ?x)", 1) + "?tf dcat:startDate ?v }")
    last = select(p + tf.replace("?x", "(MAX(?v) AS ?x)", 1) + "?tf dcat:endDate ?v }")
    open_ended = select(p + tf + "FILTER NOT EXISTS { ?tf dcat:endDate ?e } } LIMIT 1")
    d = {
        "from": first[0].get("x", {}) if first else {},
        "to": last[0].get("x", {}) if last else {},
        "opens": {"value": "1" if open_ended else "0"},
    }
    places = select(
        p
        + f"""SELECT ?x ?l ?country WHERE {{ {s} sdgkg:servesArea|sdgkg:focusCountry ?x .
        ?x skos:prefLabel ?l FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en"))
        BIND(EXISTS {{ ?x a sdgkg:Country }} AS ?country) }} ORDER BY ?l"""
    )
    roles = select(
        p
        + f"""SELECT ?role ?org ?l WHERE {{
        VALUES ?role {{ {" ".join("sdgkg:" + r for r in ROLES)} }} {s} ?role ?org .
        ?org skos:prefLabel ?l FILTER(LANG(?l) = "" || LANGMATCHES(LANG(?l), "en")) }} ORDER BY ?l"""
    )
    budgets = select(
        p
        + f"""SELECT DISTINCT ?value ?currency ?basis ?unknown WHERE {{ {s} sdgkg:budget ?b .
        OPTIONAL {{ ?b schema:value ?value }} OPTIONAL {{ ?b schema:currency ?currency }}
        OPTIONAL {{ ?b sdgkg:budgetBasis/rdfs:label ?basis }}
        BIND(EXISTS {{ ?b a sdgkg:UnknownAmount }} AS ?unknown) }} ORDER BY DESC(?value)"""
    )
    status = select(p + f"SELECT DISTINCT ?l WHERE {{ {s} sdgkg:listedStatus/rdfs:label ?l }} ORDER BY ?l")

    def link(x: str, label: str) -> Value:
        return Value(x, True, label, linker.href(x))

    by_role: dict[str, list[Value]] = {}
    for r in roles:
        by_role.setdefault(r["role"]["value"].rsplit("#", 1)[1], []).append(link(r["org"]["value"], r["l"]["value"]))
    role_labels = labels_for(select, {SDGKG_NS + role for role in ROLES})
    seen: set[str] = set()
    for role in ROLES:  # an organisation shows under its first role only
        kept = [v for v in by_role.get(role, []) if v.value not in seen]
        seen.update(v.value for v in kept)
        by_role[role] = kept
    return {
        "start": d.get("from", {}).get("value"),
        "end": None if d.get("opens", {}).get("value", "0") not in ("0", "") else d.get("to", {}).get("value"),
        "countries": [link(r["x"]["value"], r["l"]["value"]) for r in places if r["country"]["value"] == "true"],
        "areas": [link(r["x"]["value"], r["l"]["value"]) for r in places if r["country"]["value"] != "true"],
        "roles": [(role_labels.get(SDGKG_NS + role, role), by_role[role]) for role in ROLES if by_role.get(role)],
        "budgets": [
            {
                "value": r.get("value", {}).get("value"),
                "currency": r.get("currency", {}).get("value", ""),
                "basis": r.get("basis", {}).get("value", ""),
            }
            for r in budgets
            if r["unknown"]["value"] != "true" and "value" in r
        ],
        "budget_unknown": any(r["unknown"]["value"] == "true" for r in budgets),
        "status": [r["l"]["value"] for r in status],
    }
