"""kg.quality.conflicts: which differences between appearances are conflicts and which are refinements."""

from rdflib import URIRef

from kg.graph import namespaces as ns
from kg.graph.namespaces import SDGKG
from kg.ingest.reference import bundled_reference
from kg.quality.conflicts import Organisations, find_conflicts

P = URIRef("https://w3id.org/sdgkg/project/p")
A, B = URIRef("https://w3id.org/sdgkg/graph/a"), URIRef("https://w3id.org/sdgkg/graph/b")


def org(oid: str) -> URIRef:
    return ns.organisation_iri(oid)


def test_relations_come_from_the_register():
    orgs = Organisations(bundled_reference().organisations)
    assert orgs.relation("mopas", "gov-kor") == "part of"
    assert orgs.relation("gov-kor", "mopas") == "part of"
    assert orgs.relation("dpadm", "dpidg") == "renamed"
    assert orgs.relation("egb", "dgb") == "renamed"
    assert orgs.relation("egb", "dpidg") == "part of, renamed"  # EGB was in DPADM, which became DPIDG
    assert orgs.relation("mopas", "mintic") == "no"


def test_refinement_conflict_and_subset():
    ref = bundled_reference().organisations
    refined = find_conflicts([(P, SDGKG.fundingSource, org("mopas"), A), (P, SDGKG.fundingSource, org("gov-kor"), B)],
                             ref)
    assert [(c.field, c.refinement) for c in refined] == [("funding source", "part of")]
    conflict = find_conflicts([(P, SDGKG.fundingSource, org("un-da"), A), (P, SDGKG.fundingSource, org("mintic"), B)],
                              ref)
    assert [(c.field, c.refinement) for c in conflict] == [("funding source", "")]
    # one partner more is a real difference, even if the others match
    more = [(P, SDGKG.partner, org("undp"), A), (P, SDGKG.partner, org("undp"), B), (P, SDGKG.partner, org("itu"), B)]
    assert [c.refinement for c in find_conflicts(more, ref)] == [""]
    # without the register every difference is a conflict
    assert [c.refinement for c in find_conflicts([(P, SDGKG.leadDivision, org("dpadm"), A),
                                                   (P, SDGKG.leadDivision, org("dpidg"), B)])] == [""]


def test_focus_countries_and_groups_are_one_field():
    quads = [(P, SDGKG.focusGroup, ns.group_iri("ldc"), A), (P, SDGKG.focusCountry, ns.country_iri("BGD"), B),
             (P, SDGKG.focusCountry, ns.country_iri("BGD"), A)]
    [c] = find_conflicts(quads)
    assert c.field == "focus" and c.stated[A] == tuple(sorted((str(ns.country_iri("BGD")), str(ns.group_iri("ldc")))))
    # the same focus stated by both, as countries and a group, agrees
    same = quads[:1] + [(P, SDGKG.focusGroup, ns.group_iri("ldc"), B)]
    assert find_conflicts(same) == []
