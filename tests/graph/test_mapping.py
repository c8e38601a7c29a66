"""Records -> triples: one small hand-made appearance and the triples it must give."""

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from kg.graph.mapping import map_appearances
from kg.graph.namespaces import SCHEMA, SDGKG
from kg.ingest.records import Appearance
from kg.ingest.reference import bundled_reference

B = "https://w3id.org/sdgkg/"


def appearance(**fields) -> Appearance:
    app = Appearance("fixture-doc", "fixture.txt", 3, 9, "block", "past", code="DA1819G",
                     title="Institutional arrangements")
    for n, (k, v) in enumerate(fields.items(), start=4):
        app.add(k, v, n)
    app.text = "\n".join(f"{k}: {v}" for k, v in fields.items())
    return app


def triples_of(app):
    mapped = map_appearances([app], bundled_reference())
    g = URIRef(B + "graph/source/fixture-doc/1819g")
    return {(s, p, o) for s, p, o, gr in mapped.quads if gr == g}, mapped


def test_code_title_and_status():
    t, mapped = triples_of(appearance())
    p = URIRef(B + "project/1819g")
    assert (p, RDF.type, SDGKG.Project) in t
    assert (p, SDGKG.code, Literal("1819g")) in t
    assert (p, SDGKG.codeAsWritten, Literal("DA1819G")) in t
    assert (p, DCTERMS.title, Literal("Institutional arrangements")) in t
    assert (p, SDGKG.listedStatus, SDGKG.Past) in t
    assert (p, SDGKG.sourcePage, URIRef(B + "source/fixture-doc")) in t
    assert list(mapped.projects) == ["1819g"]


def test_focus_countries_keep_the_text_as_written():
    t, _ = triples_of(appearance(focus="Buthan, Laos"))
    p = URIRef(B + "project/1819g")
    assert (p, SDGKG.focusCountry, URIRef(B + "country/BTN")) in t
    assert (p, SDGKG.focusCountry, URIRef(B + "country/LAO")) in t
    m = URIRef(B + "graph/source/fixture-doc/1819g/mention/focus-1")
    assert (m, SDGKG.asWritten, Literal("Buthan")) in t
    assert (m, SDGKG.refersTo, URIRef(B + "country/BTN")) in t
    assert (m, SDGKG.matchMethod, SDGKG.CorrectedMatch) in t
    assert (m, SDGKG.inField, Literal("Focus Countries")) in t


def test_role_node_and_shortcut():
    t, _ = triples_of(appearance(partners="ESCAP", lead_division="UN DESA/DPIDG"))
    p = URIRef(B + "project/1819g")
    role = URIRef(B + "project/1819g/role/partner-unescap")
    assert (p, SDGKG.hasRole, role) in t
    assert (role, SDGKG.roleType, SDGKG.PartnerRole) in t
    assert (role, SDGKG.agent, URIRef(B + "organisation/unescap")) in t
    assert (role, SDGKG.asWritten, Literal("ESCAP")) in t
    assert (p, SDGKG.partner, URIRef(B + "organisation/unescap")) in t
    assert (p, SDGKG.leadDivision, URIRef(B + "organisation/dpidg")) in t


def test_time_frame_with_precision():
    t, _ = triples_of(appearance(time_frame="April 2018 - 31 December 2021"))
    p = URIRef(B + "project/1819g")
    tf = URIRef(B + "project/1819g/timeframe/2018-04-01_2021-12-31")
    assert (p, SDGKG.timeFrame, tf) in t
    assert (tf, SDGKG.startPrecision, SDGKG.MonthPrecision) in t
    assert (tf, SDGKG.endPrecision, SDGKG.DayPrecision) in t
    assert (tf, SDGKG.asWritten, Literal("April 2018 - 31 December 2021")) in t
    assert (p, SCHEMA.startDate, Literal("2018-04-01", datatype=XSD.date)) in t


def test_empty_budget_is_unknown_never_zero():
    t, _ = triples_of(appearance(budget=""))
    node = URIRef(B + "project/1819g/budget/unknown")
    assert (node, RDF.type, SDGKG.UnknownAmount) in t
    assert not [o for s, p, o in t if s == node and p == SCHEMA.value]


def test_budget_amount():
    t, _ = triples_of(appearance(budget="US$ 592,000"))
    node = URIRef(B + "project/1819g/budget/592000-usd-total")
    assert (node, SCHEMA.value, Literal("592000", datatype=XSD.decimal)) in t
    assert (node, SCHEMA.currency, Literal("USD")) in t
    assert (node, SDGKG.budgetBasis, SDGKG.TotalBudget) in t


def test_sdgs_from_thematic_area():
    t, _ = triples_of(appearance(thematic_area="Policy coherence, governance, SDG 7, 16"))
    p = URIRef(B + "project/1819g")
    assert (p, SDGKG.addressesSDG, URIRef("http://metadata.un.org/sdg/7")) in t
    assert (p, SDGKG.addressesSDG, URIRef("http://metadata.un.org/sdg/16")) in t
    assert (p, SDGKG.thematicArea, Literal("Policy coherence")) in t
    assert not [o for s, pr, o in t if pr == SDGKG.thematicArea and "SDG" in str(o)]


def test_unknown_names_are_kept_and_warned():
    t, mapped = triples_of(appearance(focus="Atlantis", partners="Ministry of Magic"))
    assert any("unknown place 'Atlantis'" in w for w in mapped.warnings)
    assert any("unknown organisation 'Ministry of Magic'" in w for w in mapped.warnings)
    written = {str(o) for s, p, o in t if p == SDGKG.asWritten}
    assert {"Atlantis", "Ministry of Magic"} <= written
