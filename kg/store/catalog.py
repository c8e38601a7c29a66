"""Self-description: VoID statistics and a DCAT catalogue.

They describe the dataset, its dumps and its SPARQL service, computed from the store and the build files.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.server.linked import Select, file_facts

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"
SPDX = "http://spdx.org/rdf/terms#"
DUMPS = {
    "dataset.trig": "application/trig",
    "dataset.nq": "application/n-quads",
    "union.ttl": "text/turtle",
    "union.jsonld": "application/ld+json",
}
PREFIXES = {
    "dqv": "http://www.w3.org/ns/dqv#",
    "void": VOID,
    "dcat": DCAT,
    "dct": DCT,
    "xsd": XSD,
    "spdx": SPDX,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}


def _n(x: str) -> ox.NamedNode:
    return ox.NamedNode(x)


def _int(v: int) -> ox.Literal:
    return ox.Literal(str(v), datatype=_n(XSD + "integer"))


def statistics(select: Select, base: str) -> dict[str, object]:
    """Counts for VoID: triples, entities, classes, properties, partitions, linksets."""
    one = lambda q: int(select(q)[0]["n"]["value"])  # noqa: E731
    stats: dict[str, object] = {
        "triples": one("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        "entities": one(f'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{base}")) }}'),
        "distinctSubjects": one("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        "distinctObjects": one("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        "graphs": one("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { } }"),
    }
    stats["classes"] = [
        (r["c"]["value"], int(r["n"]["value"]))
        for r in select(
            "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY ?c"
        )
    ]
    stats["properties"] = [
        (r["p"]["value"], int(r["n"]["value"]))
        for r in select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
    ]
    stats["linksets"] = {
        "sdg": one(f'''SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{base}")
                     && STRSTARTS(STR(?o), "http://metadata.un.org/sdg/")) }}'''),
        "wikidata": one(f'''SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{base}")
                     && STRSTARTS(STR(?o), "http://www.wikidata.org/entity/")) }}'''),
    }
    return stats


def void_triples(stats: dict[str, object], base: str, site: str) -> list[ox.Triple]:
    """The VoID description: dataset, partitions, linksets, endpoint and dumps."""
    ds = _n(base + "dataset")
    t = [
        ox.Triple(ds, RDF_TYPE, _n(VOID + "Dataset")),
        ox.Triple(ds, _n(DCT + "title"), ox.Literal("sdgkg: development-cooperation projects and the SDGs")),
        ox.Triple(ds, _n(VOID + "sparqlEndpoint"), _n(site + "/sparql")),
        ox.Triple(ds, _n(VOID + "uriSpace"), ox.Literal(base)),
        ox.Triple(ds, _n(VOID + "vocabulary"), _n(base + "ontology")),
        ox.Triple(ds, _n(VOID + "rootResource"), _n(base + "dataset")),
        ox.Triple(ds, _n(DCT + "license"), _n("https://creativecommons.org/licenses/by/4.0/")),
    ]
    for key in ("triples", "entities", "distinctSubjects", "distinctObjects"):
        t.append(ox.Triple(ds, _n(VOID + key), _int(stats[key])))  # type: ignore[arg-type]
    t.append(ox.Triple(ds, _n(VOID + "classes"), _int(len(stats["classes"]))))  # type: ignore[arg-type]
    t.append(ox.Triple(ds, _n(VOID + "properties"), _int(len(stats["properties"]))))  # type: ignore[arg-type]
    # one partition per class (entities) and per property (triples)
    for kind, count in (("class", "entities"), ("property", "triples")):
        for i, (term, n) in enumerate(stats["classes" if kind == "class" else "properties"]):  # type: ignore[arg-type]
            part = ox.BlankNode(f"{kind}{i}")
            t += [
                ox.Triple(ds, _n(VOID + kind + "Partition"), part),
                ox.Triple(part, _n(VOID + kind), _n(term)),
                ox.Triple(part, _n(VOID + count), _int(n)),
            ]
    for key, target in (("sdg", "http://metadata.un.org/sdg"), ("wikidata", "http://www.wikidata.org/")):
        ls = _n(f"{base}dataset/linkset/{key}")
        t += [
            ox.Triple(ls, RDF_TYPE, _n(VOID + "Linkset")),
            ox.Triple(ls, _n(VOID + "subjectsTarget"), ds),
            ox.Triple(ls, _n(VOID + "objectsTarget"), _n(target)),
            ox.Triple(ls, _n(VOID + "triples"), _int(stats["linksets"][key])),  # type: ignore[index]
            ox.Triple(ds, _n(VOID + "subset"), ls),
        ]
    for name in DUMPS:
        t.append(ox.Triple(ds, _n(VOID + "dataDump"), _n(f"{site}/dumps/{name}")))
    return t


def dcat_triples(build_dir: Path | None, base: str, site: str) -> list[ox.Triple]:
    """A DCAT catalogue: the dataset, one distribution per dump (size, sha256), the SPARQL service."""
    cat, ds, svc = _n(base + "catalog"), _n(base + "dataset"), _n(base + "dataset/sparql-service")
    t = [
        ox.Triple(cat, RDF_TYPE, _n(DCAT + "Catalog")),
        ox.Triple(cat, _n(DCT + "title"), ox.Literal("sdgkg catalogue")),
        ox.Triple(cat, _n(DCAT + "dataset"), ds),
        ox.Triple(cat, _n(DCAT + "service"), svc),
        ox.Triple(ds, RDF_TYPE, _n(DCAT + "Dataset")),
        ox.Triple(ds, _n(DCT + "title"), ox.Literal("sdgkg: development-cooperation projects and the SDGs")),
        ox.Triple(
            ds,
            _n(DCT + "description"),
            ox.Literal(
                "UN DESA DPIDG/DPADM development-cooperation projects, organisations and their roles, countries, "
                "time frames, budgets and SDGs, with the provenance of every statement and a validation report."
            ),
        ),
        ox.Triple(ds, _n(DCT + "license"), _n("https://creativecommons.org/licenses/by/4.0/")),
        ox.Triple(ds, _n(DCAT + "landingPage"), _n(site + "/")),
        ox.Triple(ds, _n("http://www.w3.org/2000/01/rdf-schema#seeAlso"), _n(site + "/.well-known/void")),
        ox.Triple(svc, RDF_TYPE, _n(DCAT + "DataService")),
        ox.Triple(svc, _n(DCAT + "endpointURL"), _n(site + "/sparql")),
        ox.Triple(svc, _n(DCAT + "endpointDescription"), _n(site + "/sparql")),
        ox.Triple(svc, _n(DCAT + "servesDataset"), ds),
        ox.Triple(svc, _n(DCT + "conformsTo"), _n("https://www.w3.org/TR/sparql11-protocol/")),
    ]
    for fact in file_facts(build_dir, tuple(DUMPS)) if build_dir else []:
        name = str(fact["name"])
        dist = _n(f"{base}dataset/distribution/{name}")
        checksum = ox.BlankNode("sha256-" + name.replace(".", "-"))
        t += [
            ox.Triple(ds, _n(DCAT + "distribution"), dist),
            ox.Triple(dist, RDF_TYPE, _n(DCAT + "Distribution")),
            ox.Triple(dist, _n(DCT + "title"), ox.Literal(name)),
            ox.Triple(dist, _n(DCAT + "downloadURL"), _n(f"{site}/dumps/{name}")),
            ox.Triple(dist, _n(DCAT + "mediaType"), _n("https://www.iana.org/assignments/media-types/" + DUMPS[name])),
            ox.Triple(
                dist, _n(DCAT + "byteSize"), ox.Literal(str(fact["bytes"]), datatype=_n(XSD + "nonNegativeInteger"))
            ),
            ox.Triple(dist, _n(SPDX + "checksum"), checksum),
            ox.Triple(checksum, _n(SPDX + "algorithm"), _n(SPDX + "checksumAlgorithm_sha256")),
            ox.Triple(
                checksum, _n(SPDX + "checksumValue"), ox.Literal(str(fact["sha256"]), datatype=_n(XSD + "hexBinary"))
            ),
        ]
    return t


def _term(b: dict[str, str]) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A SPARQL JSON result binding as a pyoxigraph term."""
    if b["type"] == "uri":
        return _n(b["value"])
    if b["type"] == "bnode":
        return ox.BlankNode(b["value"])
    if "xml:lang" in b:
        return ox.Literal(b["value"], language=b["xml:lang"])
    return ox.Literal(b["value"], datatype=_n(b.get("datatype", XSD + "string")))


def quality_triples(select: Select, base: str) -> list[ox.Triple]:
    """The dataset's DQV quality measurements (graph/quality), for the catalogue's dcat:Dataset."""
    rows = select(f"""SELECT ?m ?p ?o WHERE {{ GRAPH <{base}graph/quality> {{
        ?m <http://www.w3.org/ns/dqv#computedOn> <{base}dataset> ; ?p ?o }} }} ORDER BY ?m ?p""")
    has = _n("http://www.w3.org/ns/dqv#hasQualityMeasurement")
    ms = {r["m"]["value"] for r in rows}
    return [ox.Triple(_n(base + "dataset"), has, _n(m)) for m in sorted(ms)] + [
        ox.Triple(_n(r["m"]["value"]), _n(r["p"]["value"]), _term(r["o"])) for r in rows
    ]
