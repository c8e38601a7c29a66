"""IATI activities in the KG, answered by SPARQL: the annotated example's identifier, organisations
by role, countries with percentages, budgets, transactions and related activities; SDG links in
every form of the guidance; an activity merged with the page project it shares an identifier with."""

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.ingest.reference import SOURCES_DIR
from kg.ingest.sources import read_manifest, user_sources
from kg.store.dataset import open_store
from tests.conftest import DATA, PREFIXES

EXAMPLE = SOURCES_DIR / "iati" / "examples" / "activity-standard-example-annotated.xml"
EX = "https://w3id.org/sdgkg/project/iati/AA-AAA-123456789-ABC123"
SDGP = "https://w3id.org/sdgkg/project/iati/XI-TEST-1-SDG"


@pytest.fixture(scope="module")
def iati_build(tmp_path_factory):
    sources = read_manifest() + user_sources([EXAMPLE, DATA / "iati" / "sdg-forms.xml", DATA / "iati" / "merge.xml"])
    return build(tmp_path_factory.mktemp("iati") / "build", sources=sources, progress=lambda _m: None)


@pytest.fixture(scope="module")
def store(iati_build) -> ox.Store:
    return open_store(iati_build.out)


def rows(store, query):
    result = store.query(PREFIXES + "PREFIX iati: <https://w3id.org/sdgkg/iati/codelist/> " + query)
    names = [v.value for v in result.variables]
    return sorted(tuple(r[n].value if r[n] is not None else None for n in names) for r in result)


def test_identifier_and_organisations_by_role(store):
    assert rows(store, f"SELECT ?id WHERE {{ <{EX}> sdgkg:iatiIdentifier ?id }}") == [("AA-AAA-123456789-ABC123",)]
    assert rows(store, f"""SELECT ?role ?ref ?code WHERE {{ <{EX}> sdgkg:hasRole ?r . ?r sdgkg:roleType ?t ;
        sdgkg:agent ?o ; sdgkg:iatiRoleCode ?code . ?o sdgkg:iatiOrganisationIdentifier ?ref .
        BIND(STRAFTER(STR(?t), "#") AS ?role) }}""") == [
        ("AccountableRole", "CC-CCC-123456789", "2"), ("ExtendingRole", "AA-AAA-123456789", "3"),
        ("FundingSourceRole", "BB-BBB-123456789", "1")]
    assert rows(store, f"""SELECT ?ref WHERE {{ <{EX}> sdgkg:reportingOrganisation ?o .
        ?o sdgkg:iatiOrganisationIdentifier ?ref }}""") == [("AA-AAA-123456789",)]


def test_countries_and_regions_with_percentages(store):
    assert rows(store, f"""SELECT ?to ?pct WHERE {{ <{EX}> sdgkg:recipientShare ?s . ?s sdgkg:percentage ?pct .
        OPTIONAL {{ ?s sdgkg:recipient ?r }} BIND(COALESCE(STR(?r), "unresolved") AS ?to) }}""") == [
        ("https://w3id.org/sdgkg/country/AFG", "25"), ("https://w3id.org/sdgkg/country/ATG", "25"),
        ("https://w3id.org/sdgkg/iati/codelist/Region/489", "25"), ("unresolved", "25")]
    assert rows(store, f"SELECT ?c WHERE {{ <{EX}> sdgkg:focusCountry ?c }}") == [
        ("https://w3id.org/sdgkg/country/AFG",), ("https://w3id.org/sdgkg/country/ATG",)]


def test_dates_status_budgets_and_transactions(store):
    assert rows(store, f"""SELECT ?ps ?as ?pe ?status WHERE {{ <{EX}> sdgkg:plannedStart ?ps ; sdgkg:actualStart ?as ;
        sdgkg:plannedEnd ?pe ; sdgkg:activityStatus ?st . ?st skos:prefLabel ?status }}""") == [
        ("2012-04-15", "2012-04-28", "2015-12-31", "Implementation")]
    assert rows(store, f"""PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT ?v ?cur ?from ?to ?type ?status ?vd WHERE {{ <{EX}> sdgkg:periodBudget ?b .
        ?b schema:value ?v ; schema:currency ?cur ; dcat:startDate ?from ; dcat:endDate ?to ;
        sdgkg:budgetType ?type ; sdgkg:budgetStatus ?status ; sdgkg:valueDate ?vd }}""") == [
        ("3000", "EUR", "2014-01-01", "2014-12-31", "1", "1", "2014-01-01")]
    assert rows(store, f"""SELECT ?type ?date ?v ?cur ?from ?to ?fromact WHERE {{ <{EX}> sdgkg:transaction ?t .
        ?t sdgkg:transactionType ?type ; dct:date ?date ; schema:value ?v ; schema:currency ?cur ;
        sdgkg:provider/sdgkg:iatiOrganisationIdentifier ?from ; sdgkg:receiver/sdgkg:iatiOrganisationIdentifier ?to ;
        sdgkg:providerActivity ?fromact }}""") == [
        ("1", "2012-01-01", "1000", "EUR", "BB-BBB-123456789", "AA-AAA-123456789",
         "https://w3id.org/sdgkg/project/iati/BB-BBB-123456789-1234AA")]


def test_related_activities_and_provenance(store):
    assert rows(store, f"SELECT ?parent WHERE {{ <{EX}> sdgkg:parentActivity ?parent }}") == [
        ("https://w3id.org/sdgkg/project/iati/AA-AAA-123456789-6789",)]
    assert rows(store, f"""SELECT ?file ?line WHERE {{ GRAPH ?g {{ <{EX}> sdgkg:iatiIdentifier ?id }}
        ?g sdgkg:describes <{EX}> ; sdgkg:startLine ?line ; prov:wasDerivedFrom ?doc .
        ?doc sdgkg:fileName ?file ; sdgkg:sha256 ?sha ; sdgkg:loader "kg.ingest.loaders.iati" }}""") == [
        ("activity-standard-example-annotated.xml", "8")]


def test_sdg_statements_of_every_form_link_to_the_kos(store, iati_build):
    assert rows(store, f"""SELECT ?element ?vocab ?code ?concept WHERE {{ <{SDGP}> sdgkg:sdgStatement ?s .
        ?s sdgkg:statedByElement ?element ; sdgkg:iatiVocabulary ?vocab ; sdgkg:iatiCode ?code .
        OPTIONAL {{ ?s sdgkg:sdgConcept ?concept }} }}""") == [
        ("result/indicator/reference", "9", "12.2.1", "http://metadata.un.org/sdg/C200202"),
        ("result/indicator/reference", "9", "16.6.2", "http://metadata.un.org/sdg/C160602"),
        ("sector", "7", "4", "http://metadata.un.org/sdg/4"),
        ("sector", "8", "4.1", "http://metadata.un.org/sdg/4.1"),
        ("sector", "9", "8.4.1", "http://metadata.un.org/sdg/C200202"),
        ("tag", "2", "8", "http://metadata.un.org/sdg/8"),
        ("tag", "3", "16.6", "http://metadata.un.org/sdg/16.6"),
        ("tag", "3", "16.99", None)]
    assert any("'16.99'" in w and "not in the UN SDG KOS" in w for w in iati_build.warnings)


def test_an_activity_sharing_a_page_code_is_the_same_project(store):
    p = "https://w3id.org/sdgkg/project/1617b"
    assert rows(store, f"SELECT ?id WHERE {{ <{p}> sdgkg:iatiIdentifier ?id }}") == [("XI-TEST-2-DA1617B",)]
    graphs = rows(store, f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{p}> a sdgkg:Project }} }}")
    assert ("https://w3id.org/sdgkg/graph/source/iati-merge/1617b",) in graphs and len(graphs) == 4
    stated = rows(store, f"""SELECT ?g WHERE {{ ?c sdgkg:conflictOf <{p}> ; sdgkg:conflictField "title" ;
        sdgkg:statedIn ?g }}""")
    assert ("https://w3id.org/sdgkg/graph/source/iati-merge/1617b",) in stated
    # money keeps its currency: the transaction without one takes the activity's default, USD
    assert rows(store, f"""SELECT ?v ?cur ?fromact WHERE {{ <{p}> sdgkg:transaction ?t . ?t schema:value ?v ;
        schema:currency ?cur ; sdgkg:providerActivity ?fromact }}""") == [("100000", "USD", SDGP)]


# --------------------------------------------------------------------------- export and round trip


@pytest.fixture(scope="module")
def exported(iati_build, tmp_path_factory):
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = tmp_path_factory.mktemp("export") / "activities.xml"
    run = subprocess.run([sys.executable, "-m", "kg.cli", "export", "--format", "iati", "--out", str(out),
                          "--build", str(iati_build.out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "valid against the IATI 2.03 schema" in run.stdout
    return out, run


def test_export_validates_against_the_2_03_schema(exported):
    from lxml import etree

    out, run = exported
    xsd = etree.XMLSchema(etree.parse(str(SOURCES_DIR / "iati" / "schema" / "iati-activities-schema.xsd")))
    doc = etree.parse(str(out))
    assert xsd.validate(doc), xsd.error_log
    ids = doc.xpath("//iati-activity/iati-identifier/text()")
    assert {"AA-AAA-123456789-ABC123", "XI-TEST-1-SDG", "XI-TEST-2-DA1617B", "sdgkg-roa-206-8"} <= set(ids)
    assert len(ids) == len(set(ids)) > 15  # projects only: TC activities and UNPOG's parts are not exported
    # page projects without any date cannot be IATI activities: they are named, not dropped silently
    assert "no date (IATI requires an activity date)" in run.stderr
    # an unknown budget is left out, never written as 0
    assert not doc.xpath("//budget/value[number(.) = 0]")


def _fields(a):
    org = lambda o: None if o is None else (o.ref, o.type, tuple(sorted(o.names, key=str)), o.role, o.activity_id)  # noqa: E731
    return {
        "identifier": a.identifier,
        "default currency": a.default_currency,
        "reporting-org": org(a.reporting_org),
        "titles": sorted(a.titles, key=str),
        "descriptions": sorted(a.descriptions, key=str),
        "participating-org": sorted(map(org, a.participating), key=str),
        "activity-status": a.status,
        "activity-date": sorted(a.dates),
        "recipient-country": sorted((s.code, s.percentage) for s in a.countries),
        "recipient-region": sorted((s.code, s.vocabulary, s.percentage) for s in a.regions),
        "sector": sorted((s.code, s.vocabulary, s.percentage) for s in a.sectors),
        "policy-marker": sorted(a.policy_markers, key=str),
        "budget": sorted((b.type, b.status, b.start, b.end, b.value) for b in a.budgets),
        "transaction": sorted((t.ref, t.type, t.date, t.value, tuple(sorted(t.description, key=str)),
                               t.provider.ref, t.provider.activity_id, tuple(t.provider.names),
                               t.receiver.ref, t.receiver.activity_id, tuple(t.receiver.names))
                              for t in a.transactions),
        "related-activity": sorted(a.related),
        "SDG statements": sorted((s.code, s.element, s.vocabulary) for s in a.sdgs),
    }


@pytest.mark.parametrize(("source", "identifier"), [(EXAMPLE, "AA-AAA-123456789-ABC123"),
                                                    (DATA / "iati" / "sdg-forms.xml", "XI-TEST-1-SDG")])
def test_round_trip_iati_kg_iati_keeps_every_element(exported, source, identifier):
    from kg.ingest.loaders.iati import load_iati

    (original,) = [a for a in load_iati(source, "in") if a.identifier == identifier]
    (again,) = [a for a in load_iati(exported[0], "out") if a.identifier == identifier]
    before, after = _fields(original), _fields(again)
    for name in before:
        assert after[name] == before[name], name


# --------------------------------------------------------------------------- competency queries over IATI data


def library_rows(store, name, **params):
    from kg.server.queries import load_library

    result = store.query(load_library()[name].bind(params))
    names = [v.value for v in result.variables]
    return [{n: r[n].value for n in names if r[n] is not None} for r in result]


def test_query_projects_of_any_source_by_sdg_target(store):
    rows = library_rows(store, "sdg-target-statements", target="http://metadata.un.org/sdg/16.6")
    assert {(r["project"], r["stated"], r.get("publisher")) for r in rows} == {
        (SDGP, "tag (vocabulary 3)", "Test publisher"),
        (SDGP, "result/indicator/reference (vocabulary 9)", "Test publisher")}  # 16.6.2 is under 16.6
    assert {r["source"] for r in rows} == {"IATI activity file sdg-forms.xml"}


def test_query_budget_by_recipient_country_and_sdg_is_percentage_weighted(store):
    rows = library_rows(store, "budget-by-recipient-country-and-sdg")
    goal8 = {(r["countryName"], r["currency"]): float(r["amount"]) for r in rows
             if r["goal"] == "http://metadata.un.org/sdg/8" and "amount" in r}
    # 1000 EUR and 500 USD (the default currency) shared 60/40 between Bhutan and Nepal; nothing converted
    assert goal8 == {("Bhutan", "EUR"): 600.0, ("Bhutan", "USD"): 300.0, ("Nepal", "EUR"): 400.0,
                     ("Nepal", "USD"): 200.0}


def test_query_funding_chains(store):
    rows = library_rows(store, "funding-chains")
    assert {(r["fromActivity"], r["toActivity"], r["type"], r["amount"], r["currency"]) for r in rows} == {
        ("https://w3id.org/sdgkg/project/iati/BB-BBB-123456789-1234AA", EX, "Incoming Funds", "1000", "EUR"),
        (SDGP, "https://w3id.org/sdgkg/project/1617b", "Incoming Funds", "100000", "USD")}


def test_query_projects_by_publisher(store):
    rows = library_rows(store, "projects-by-publisher")
    by = {}
    for r in rows:
        by.setdefault(r["publisher"], set()).add(r["project"])
    assert by["Organisation name"] == {EX} and by["Test publisher"] == {SDGP}
    assert "https://w3id.org/sdgkg/project/1617b" in by["Test agency"]  # the merged page project
    assert len(by["UN DESA DPIDG"]) > 5


def test_activity_pages_show_the_iati_elements(iati_build):
    import httpx

    from tests.conftest import kg_server

    with kg_server(iati_build.out) as url:
        page = httpx.get(url + "/project/iati/AA-AAA-123456789-ABC123", headers={"Accept": "text/html"}, timeout=60)
        assert page.status_code == 200
        html = page.text
        assert "<code>AA-AAA-123456789-ABC123</code>" in html
        assert "funding source <small>(1)</small>" in html and "BB-BBB-123456789" in html
        assert ">Afghanistan</a>" in html and "25 %" in html
        assert "2014-01-01 – 2014-12-31" in html and "EUR 3000" in html
        assert "Incoming Funds" in html and "EUR 1000" in html
        html = httpx.get(url + "/project/iati/XI-TEST-1-SDG", headers={"Accept": "text/html"}, timeout=60).text
        assert "tag (vocabulary 3)" in html and "result/indicator/reference (vocabulary 9)" in html
        assert "not in the KOS: kept as written" in html and "http://metadata.un.org/sdg/C200202" in html
        # the activity's IRI also answers RDF, with its identifier
        ttl = httpx.get(url + "/project/iati/AA-AAA-123456789-ABC123", headers={"Accept": "text/turtle"}, timeout=60)
        assert ttl.status_code == 200 and "AA-AAA-123456789-ABC123" in ttl.text


def test_kg_validate_reports_the_iati_rules_on_an_imported_build(iati_build):
    import subprocess
    import sys

    from tests.conftest import ROOT

    run = subprocess.run([sys.executable, "-m", "kg.cli", "validate", str(iati_build.out)], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    # the annotated example itself breaks IATI rule 3.4.2: countries 50 % + regions of vocabulary 1: 25 %
    assert run.returncode == 1, run.stderr
    assert "IATI recipient percentages do not add up to 100: Activity title" in run.stdout
    assert "(region vocabulary 1) add up to 75" in run.stdout
    assert "Stated SDG code not in the UN SDG KOS" in run.stdout and "16.99" in run.stdout


def test_imported_activities_get_suggestions_apart_from_their_stated_sdgs(store):
    def suggested(project: str) -> list[tuple[str, ...]]:
        return rows(store, f"""SELECT DISTINCT ?t WHERE {{ GRAPH <https://w3id.org/sdgkg/graph/suggested> {{
            ?s sdgkg:suggestionFor <{project}> ; sdgkg:suggestedTarget ?t }} }}""")

    # 'Civil registration and responsive institutions.' (its description) -> 16.9 (legal identity)
    assert ("http://metadata.un.org/sdg/16.9",) in suggested(SDGP)
    assert suggested(EX) == []  # the annotated example's placeholder text ('Activity title') says nothing
    # stated links stay the publisher's, in the activity's own graph; none comes from graph/suggested
    assert rows(store, f"""SELECT ?g WHERE {{ GRAPH ?g {{ <{SDGP}> sdgkg:addressesSDG ?c }}
        FILTER(?g = <https://w3id.org/sdgkg/graph/suggested>) }}""") == []
