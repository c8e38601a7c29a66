"""Reasoning: inferred triples live in their own graph and include the roll-ups."""

from rdflib import URIRef

from kg.graph.mapping import map_appearances
from kg.graph.vocabularies import sdg_triples
from kg.ingest.records import Appearance
from kg.ingest.reference import bundled_reference
from kg.reasoning.reason import infer
from tests.conftest import select

INFERRED = "<https://w3id.org/sdgkg/graph/inferred>"


def test_project_for_bhutan_is_under_ldc_and_asia(store):
    # 1819G: Bhutan, Laos, Fiji, Vanuatu, April 2018 - December 2021.
    rows = select(store, f"""
        SELECT ?area WHERE {{ GRAPH {INFERRED} {{ project:1819g sdgkg:servesArea ?area }} }}""")
    areas = {r["area"].rsplit("/", 2)[-2] + "/" + r["area"].rsplit("/", 1)[-1] for r in rows}
    assert {"group/ldc", "region/142", "region/034", "group/sids", "group/lldc"} <= areas


def test_inferred_triples_are_only_in_the_inferred_graph(store):
    asserted = select(store, """
        SELECT ?g WHERE { GRAPH ?g { project:1819g sdgkg:servesArea ?a } }""")
    assert {r["g"] for r in asserted} == {"https://w3id.org/sdgkg/graph/inferred"}
    # the default graph (union) includes them, so queries can choose
    assert select(store, "SELECT ?a WHERE { project:1819g sdgkg:servesArea group:ldc BIND(1 AS ?a) }")


def test_owl_rl_inverse_and_sub_properties(store):
    rows = select(store, f"""
        SELECT ?p WHERE {{ GRAPH {INFERRED} {{ organisation:unescap sdgkg:involvedIn ?p }} }} ORDER BY ?p""")
    assert [r["p"].rsplit("/", 1)[1] for r in rows] == ["1617b", "1819g", "unpog-unescap-gender-egov"]


def test_transitive_part_of(store):
    got = select(store, f"""
        SELECT ?r WHERE {{ GRAPH {INFERRED} {{ country:BTN sdgkg:partOf ?r }} }}""")
    assert {r["r"].rsplit("/", 1)[1] for r in got} == {"142"}  # Southern Asia (034) is asserted


def _project(fields: dict[str, str], code: str = "9999Z") -> list:
    app = Appearance("fixture", "fixture.txt", 1, 3, "block", "past", code=code, title="Fixture")
    for n, (k, v) in enumerate(fields.items(), start=2):
        app.add(k, v, n)
    app.text = " ".join(fields.values())
    return [(s, p, o) for s, p, o, _g in map_appearances([app], bundled_reference()).quads]


def test_target_rolls_up_to_goal():
    triples = _project({"thematic_area": "Governance, SDG 16.6"})
    result = infer(triples, [], sdg_triples(bundled_reference()))
    p = URIRef("https://w3id.org/sdgkg/project/9999z")
    goal = URIRef("http://metadata.un.org/sdg/16")
    assert (p, URIRef("https://w3id.org/sdgkg/ontology#addressesSDG"), goal) in result.triples


def test_ldc_membership_at_project_time():
    ref = bundled_reference()
    from kg.graph.vocabularies import country_triples

    serves = URIRef("https://w3id.org/sdgkg/ontology#servesArea")
    ldc = URIRef("https://w3id.org/sdgkg/group/ldc")
    during = _project({"time_frame": "April 2018 - December 2021", "focus": "Bhutan"}, "9998A")
    after = _project({"time_frame": "January 2024 - December 2025", "focus": "Bhutan"}, "9997A")
    got_during = infer(during + country_triples(ref), [], []).triples
    got_after = infer(after + country_triples(ref), [], []).triples
    assert (URIRef("https://w3id.org/sdgkg/project/9998a"), serves, ldc) in got_during
    assert (URIRef("https://w3id.org/sdgkg/project/9997a"), serves, ldc) not in got_after
