"""Reference vocabularies as triples: SDG KOS, countries and groups, organisations, ontology.

Each goes into its own named graph so that queries can include or leave out reference data.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from kg.errors import SourceError
from kg.graph import namespaces as ns
from kg.graph.namespaces import ORG, SCHEMA, SDGKG, SDGO, WD
from kg.ingest.reference import ONTOLOGY_DIR, REFERENCE_DIR, SOURCES_DIR, Reference

Triple = tuple[URIRef, URIRef, URIRef | Literal]

ONTOLOGY_FILES = ("sdgkg.ttl", "sdgkg-align.ttl", "quality-metrics.ttl")


def parse_turtle(path: Path) -> Graph:
    """Parse a Turtle file; a syntax error names the file and line. Blank nodes are skolemised."""
    g = Graph()
    try:
        g.parse(path, format="turtle")
    except OSError as exc:
        raise SourceError(path, None, f"cannot read ({exc.strerror})") from exc
    except Exception as exc:  # rdflib raises several parser exception types
        raise SourceError(path, getattr(exc, "lines", None), f"invalid Turtle: {exc}") from exc
    return ns.skolemise(g, ".well-known/genid/")


def ontology_triples(directory: Path = ONTOLOGY_DIR) -> list[Triple]:
    """The ontology and its alignments."""
    triples: list[Triple] = []
    for name in ONTOLOGY_FILES:
        triples.extend(parse_turtle(directory / name))  # type: ignore[arg-type]
    return triples


def sdg_triples(ref: Reference, directory: Path = REFERENCE_DIR) -> list[Triple]:
    """The UN SDG KOS (2020 snapshot) plus the 2025 indicators the snapshot lacks."""
    triples: list[Triple] = list(parse_turtle(directory / "sdg_kos.ttl"))  # type: ignore[arg-type]
    for row in ref.sdg_indicators:
        if row["in_kos_2020_snapshot"] == "true":
            continue
        i, t = URIRef(row["kos_uri"]), ns.sdg_iri(row["target"])
        triples += [
            (i, RDF.type, SDGO.Indicator),
            (i, RDF.type, SKOS.Concept),
            (i, SKOS.prefLabel, Literal(f"{row['indicator']} {row['title']}", lang="en")),
            (i, SKOS.notation, Literal(row["indicator"])),
            (i, SKOS.broader, t),
            (t, SKOS.narrower, i),
        ]
    return triples


def country_triples(ref: Reference) -> list[Triple]:
    """Countries with ISO/M49 codes, M49 regions, named groups and dated memberships."""
    t: list[Triple] = []
    for code, region in sorted(ref.regions.items()):
        r = ns.region_iri(code)
        t += [
            (r, RDF.type, SDGKG.M49Region),
            (r, RDF.type, SDGKG.CountryGroup),
            (r, RDFS.label, Literal(region.name, lang="en")),
            (r, SKOS.prefLabel, Literal(region.name, lang="en")),
            (r, SDGKG.m49Code, Literal(code)),
        ]
        if region.parent:
            t.append((r, SDGKG.partOf, ns.region_iri(region.parent)))
    for gid, g in sorted(ref.groups.items()):
        gi = ns.group_iri(gid)
        t += [
            (gi, RDF.type, SDGKG.CountryGroup),
            (gi, RDFS.label, Literal(g["label"], lang="en")),
            (gi, SKOS.prefLabel, Literal(g["label"], lang="en")),
            (gi, SKOS.definition, Literal(g["definition"], lang="en")),
        ]
        t += [(gi, SKOS.altLabel, Literal(a, lang="en")) for a in g["aliases"].split("|") if a]
        if g["organisation"]:
            t.append((gi, SDGKG.membershipOf, ns.organisation_iri(g["organisation"])))
        if g["source"]:
            t.append((gi, DCTERMS.source, URIRef(g["source"])))
        if g["note"]:
            t.append((gi, SKOS.note, Literal(g["note"], lang="en")))
    t += _listed_memberships(ref)
    flags = {"ldc": "ldc", "lldc": "lldc", "sids": "sids"}
    for iso3, row in sorted(ref.countries.items()):
        c = ns.country_iri(iso3)
        t += [
            (c, RDF.type, SDGKG.Country),
            (c, RDFS.label, Literal(row["name"], lang="en")),
            (c, SKOS.prefLabel, Literal(row["name"], lang="en")),
            (c, SDGKG.iso3166Alpha2, Literal(row["iso2"])),
            (c, SDGKG.iso3166Alpha3, Literal(iso3)),
            (c, SDGKG.m49Code, Literal(row["m49"])),
            (c, SDGKG.inUNSDM49, Literal(row["in_unsd_m49"] == "true")),
        ]
        if row["common_name"] and row["common_name"] != row["name"]:
            t.append((c, SKOS.altLabel, Literal(row["common_name"], lang="en")))
        if row["wikidata_qid"]:
            t.append((c, SKOS.exactMatch, WD[row["wikidata_qid"]]))
        smallest = row["intermediate_region_code"] or row["subregion_code"] or row["region_code"]
        if smallest:
            t.append((c, SDGKG.partOf, ns.region_iri(smallest)))
        for column, gid in flags.items():
            if row[column] == "true":
                t.append((c, SDGKG.inGroup, ns.group_iri(gid)))
        t += _ldc_membership(ref, iso3, row)
    return t


def _listed_memberships(ref: Reference) -> list[Triple]:
    """Memberships listed in group_members.csv (regional commissions, Asia-Pacific), undated."""
    t: list[Triple] = []
    for row in ref.group_members:
        gid, iso3 = row["group"], row["iso3"]
        m, c, g = ns.membership_iri(gid, iso3), ns.country_iri(iso3), ns.group_iri(gid)
        name, label = ref.countries[iso3]["name"], ref.groups[gid]["label"]
        t += [
            (c, SDGKG.inGroup, g),
            (m, RDF.type, SDGKG.GroupMembership),
            (m, SDGKG.member, c),
            (m, SDGKG.group, g),
            (m, SDGKG.membershipType, Literal(row["membership"])),
            (m, SDGKG.regionalMember, Literal(row["regional"] == "true")),
            (m, RDFS.label, Literal(f"{name} ({row['membership']}) in {label}", lang="en")),
        ]
    return t


def _ldc_membership(ref: Reference, iso3: str, row: dict[str, str]) -> list[Triple]:
    """Dated LDC membership: current members, graduated ones with their graduation date."""
    grad = ref.graduations.get(iso3)
    if row["ldc"] != "true" and (grad is None or grad["status"] != "graduated"):
        return []
    m = ns.membership_iri("ldc", iso3)
    since = {"SEN": "2000", "TLS": "2003", "SSD": "2012"}.get(iso3, "1971")
    t: list[Triple] = [
        (m, RDF.type, SDGKG.GroupMembership),
        (m, SDGKG.member, ns.country_iri(iso3)),
        (m, SDGKG.group, ns.group_iri("ldc")),
        (m, SDGKG.memberSince, Literal(since, datatype=XSD.gYear)),
        (m, RDFS.label, Literal(f"{row['name']} in the LDC list", lang="en")),
    ]
    if grad is not None and grad["status"] == "graduated":
        t.append((m, SDGKG.memberUntil, Literal(grad["graduated"], datatype=XSD.date)))
    elif grad is not None:
        t.append((m, SDGKG.scheduledUntil, Literal(grad["graduated"], datatype=XSD.date)))
    return t


def organisation_triples(ref: Reference) -> list[Triple]:
    """The organisation authority table, sub-organisations, renamings and trust funds' donors."""
    t: list[Triple] = []
    for oid, o in sorted(ref.organisations.items()):
        i = ns.organisation_iri(oid)
        t += [
            (i, RDF.type, ORG.Organization),
            (i, RDF.type, SDGKG[o["type"]]),
            (i, RDFS.label, Literal(o["name"], lang="en")),
            (i, SKOS.prefLabel, Literal(o["name"], lang="en")),
        ]
        if o["acronym"]:
            t.append((i, SDGKG.acronym, Literal(o["acronym"])))
        t += [(i, SKOS.altLabel, Literal(a, lang="en")) for a in o["aliases"].split("|") if a]
        if o["parent"]:
            prop = ORG.unitOf if o["type"] == "UNUnit" else ORG.subOrganizationOf
            t.append((i, prop, ns.organisation_iri(o["parent"])))
            t.append((i, ORG.subOrganizationOf, ns.organisation_iri(o["parent"])))
        if o["country"]:
            prop = SDGKG.governmentOf if o["type"] == "Government" else DCTERMS.spatial
            t.append((i, prop, ns.country_iri(o["country"])))
        if o["wikidata"]:
            t.append((i, SKOS.exactMatch, WD[o["wikidata"]]))
        if o["note"]:
            t.append((i, SKOS.scopeNote, Literal(o["note"], lang="en")))
        if o["funded_by"]:  # a trust fund's donor (un-pdf: the Government of China), as data not a note
            t.append((i, SCHEMA.funder, ns.organisation_iri(o["funded_by"])))
        if o["successor"]:
            t += _renaming(oid, o, ref.organisations[o["successor"]])
    return t


def _renaming(oid: str, o: dict[str, str], successor: dict[str, str]) -> list[Triple]:
    """An organisation renamed or replaced (DPADM -> DPIDG, 2019) as an org:ChangeEvent, from the register."""
    old, new = ns.organisation_iri(oid), ns.organisation_iri(successor["id"])
    change = URIRef(f"{old}/renamed" + (f"-{o['renamed_in']}" if o["renamed_in"] else ""))
    when = f" ({o['renamed_in']})" if o["renamed_in"] else ""
    old_name, new_name = o["acronym"] or o["name"], successor["acronym"] or successor["name"]
    t: list[Triple] = [
        (change, RDF.type, ORG.ChangeEvent),
        (change, RDFS.label, Literal(f"{old_name} renamed {new_name}{when}", lang="en")),
        (change, ORG.originalOrganization, old),
        (change, ORG.resultingOrganization, new),
        (old, ORG.changedBy, change),
        (new, ORG.resultedFrom, change),
        (new, DCTERMS.replaces, old),
        (old, DCTERMS.isReplacedBy, new),
        (new, PROV.wasRevisionOf, old),
        (old, OWL.deprecated, Literal(True)),
    ]
    if o["renamed_in"]:
        t.append((change, DCTERMS.date, Literal(o["renamed_in"], datatype=XSD.gYear)))
    return t


CODELIST_DIR = SOURCES_DIR / "iati" / "codelists"


def iati_codelist_triples(directory: Path = CODELIST_DIR) -> list[Triple]:
    """The bundled IATI code lists as SKOS concept schemes (labels for codes on pages and in queries)."""
    from lxml import etree

    from kg.graph.mapping_iati import codelist_iri

    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    triples: list[Triple] = []
    for path in sorted(directory.glob("*.xml")):
        root = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False)).getroot()
        name = root.get("name") or path.stem
        scheme = URIRef(f"{ns.BASE}iati/codelist/{name}")
        title = root.findtext("metadata/name/narrative") or name
        triples += [
            (scheme, RDF.type, SKOS.ConceptScheme),
            (scheme, SKOS.prefLabel, Literal(f"IATI code list {title}", lang="en")),
            (scheme, RDFS.label, Literal(f"IATI code list {title}", lang="en")),
        ]
        for item in root.iterfind("codelist-items/codelist-item"):
            code = (item.findtext("code") or "").strip()
            if not code:
                continue
            names = [n for n in item.iterfind("name/narrative") if (n.text or "").strip()]
            label = next((n.text.strip() for n in names if n.get(lang) in (None, "en")), code)
            concept = codelist_iri(name, code)
            triples += [
                (concept, RDF.type, SKOS.Concept),
                (concept, SKOS.inScheme, scheme),
                (concept, SKOS.notation, Literal(code)),
                (concept, SKOS.prefLabel, Literal(label, lang="en")),
                (concept, RDFS.label, Literal(f"{code} {label}", lang="en")),
            ]
    return triples
