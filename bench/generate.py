"""Synthetic KG shaped like sdgkg (projects, organisations, roles, countries, SDG targets), at
a given size, as N-Quads: each project's statements in its own appearance graph, as a build has.

    python bench/generate.py --triples 100000 --out bench/data/100k
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pyoxigraph as ox

B = "https://w3id.org/sdgkg/"
K = B + "ontology#"
SDG = "http://metadata.un.org/sdg/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def generate(triples: int, seed: int = 7) -> list[ox.Quad]:
    rng = random.Random(seed)
    ref = n(B + "graph/reference")
    quads: list[ox.Quad] = []
    countries = [n(f"{B}country/C{i:03d}") for i in range(250)]
    regions = [n(f"{B}region/{i:03d}") for i in range(20)]
    groups = [n(f"{B}group/{g}") for g in ("ldc", "lldc", "sids")]
    for c in countries:
        quads += [
            ox.Quad(c, RDF_TYPE, n(K + "Country"), ref),
            ox.Quad(c, n(K + "partOf"), rng.choice(regions), ref),
            ox.Quad(c, n(K + "iso3166Alpha3"), ox.Literal(c.value[-4:]), ref),
        ]
        if rng.random() < 0.3:
            quads.append(ox.Quad(c, n(K + "inGroup"), rng.choice(groups), ref))
    goals = [n(f"{SDG}{g}") for g in range(1, 18)]
    targets = [n(f"{SDG}{g}.{t}") for g in range(1, 18) for t in range(1, 11)]
    for t in targets:
        goal = goals[int(t.value.rsplit("/", 1)[1].split(".")[0]) - 1]
        quads += [ox.Quad(t, n("http://www.w3.org/2004/02/skos/core#broader"), goal, ref)]
    orgs = [n(f"{B}organisation/o{i}") for i in range(max(50, triples // 400))]
    for o in orgs:
        quads += [
            ox.Quad(o, RDF_TYPE, n("http://www.w3.org/ns/org#Organization"), ref),
            ox.Quad(o, n("http://www.w3.org/2004/02/skos/core#prefLabel"), ox.Literal(f"Org {o.value[-4:]}"), ref),
        ]
    roles = ("leadDivision", "partner", "donor", "fundingSource")
    i = 0
    while len(quads) < triples:
        p = n(f"{B}project/p{i}")
        g = n(f"{B}graph/source/synthetic/p{i}")
        start = rng.randint(2005, 2024)
        budget = n(f"{p.value}/budget")
        q = [
            ox.Quad(p, RDF_TYPE, n(K + "Project"), g),
            ox.Quad(p, n("http://purl.org/dc/terms/title"), ox.Literal(f"Project {i} on governance"), g),
            ox.Quad(p, n("https://schema.org/startDate"), ox.Literal(f"{start}-01-01", datatype=n(XSD + "date")), g),
            ox.Quad(
                p,
                n("https://schema.org/endDate"),
                ox.Literal(f"{start + rng.randint(1, 5)}-12-31", datatype=n(XSD + "date")),
                g,
            ),
            ox.Quad(p, n(K + "budget"), budget, g),
            ox.Quad(
                budget,
                n("https://schema.org/value"),
                ox.Literal(str(rng.randint(50, 5000) * 1000), datatype=n(XSD + "decimal")),
                g,
            ),
        ]
        for _ in range(rng.randint(1, 4)):
            q.append(ox.Quad(p, n(K + "focusCountry"), rng.choice(countries), g))
        for _ in range(rng.randint(1, 3)):
            q.append(ox.Quad(p, n(K + "addressesSDG"), rng.choice(targets), g))
        for r in roles:
            for org in rng.sample(orgs, rng.randint(1, 3) if r == "partner" else 1):
                role = n(f"{p.value}/role/{r}-{org.value.rsplit('/', 1)[1]}")
                q += [
                    ox.Quad(p, n(K + r), org, g),
                    ox.Quad(p, n(K + "hasRole"), role, g),
                    ox.Quad(role, n(K + "agent"), org, g),
                    ox.Quad(role, n(K + "roleType"), n(K + r + "Role"), g),
                ]
        quads += q
        i += 1
    return quads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--out", type=Path, required=True, help="directory for dataset.nq and union.nt")
    args = parser.parse_args()
    quads = generate(args.triples)
    args.out.mkdir(parents=True, exist_ok=True)
    ox.serialize(quads, str(args.out / "dataset.nq"), ox.RdfFormat.N_QUADS)
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    ox.serialize(triples, str(args.out / "union.nt"), ox.RdfFormat.N_TRIPLES)
    print(f"{len(quads)} quads, {len(triples)} distinct triples -> {args.out}")


if __name__ == "__main__":
    main()
