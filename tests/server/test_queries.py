"""Every competency query runs on the bundled KG and gives the answer read from the source pages.

Each expectation says where it comes from. Page shorthands: 000 = the DPIDG projects page,
001 = the stripped DPADM page, 002 = the EGB slides, 003 = the UNPOG presentation,
004 = the Development Account page.
"""

from decimal import Decimal

import pytest

from kg.server.queries import ParameterError, load_library
from kg.store.dataset import query as run_query
from tests.conftest import PREFIXES

LIBRARY = load_library()
P = "https://w3id.org/sdgkg/project/"
ORG = "https://w3id.org/sdgkg/organisation/"


def run(store, name: str, **params: str) -> list[dict[str, str]]:
    result = run_query(store, LIBRARY[name].bind(params))
    if hasattr(result, "variables"):
        names = [v.value for v in result.variables]
        return [{n: row[n].value for n in names if row[n] is not None} for row in result]
    return [{"boolean": str(bool(result)).lower()}]


def projects(rows: list[dict[str, str]]) -> set[str]:
    return {r["project"].removeprefix(P) for r in rows}


def test_library_has_at_least_25_documented_queries():
    assert len(LIBRARY) >= 25
    for q in LIBRARY.values():
        assert q.title and q.description, q.name
        for p in q.parameters:
            assert p.default is not None and p.description, (q.name, p.name)


# Each entry: (query, params, expected projects, where the answer comes from).
PROJECT_QUERIES = [
    ("projects-by-sdg-goal", {"links": "stated"}, {"belt-and-road-2030-agenda", "sdg16-conference"},
     "000: the Belt-and-Road project's Thematic Area names 'SDG 7, 9, 10, 11, 16, 17'; a teaser is the "
     "'SDG 16 Conference'. No other text names an SDG by number."),
    ("projects-by-sdg-goal", {"goal": "http://metadata.un.org/sdg/7", "links": "stated"}, {"belt-and-road-2030-agenda"},
     "000: only the Belt-and-Road project names SDG 7."),
    ("projects-by-sdg-target", {"links": "stated"}, set(),
     "No page names an SDG target (e.g. 16.6); the roll-up from targets is tested in test_reason."),
    ("projects-by-country", {}, {"1617b", "roa-206-8"},
     "Bangladesh: 1617B/DA1617B focus (000, 001) and ROA 206-8 (000, 001: 'Bangladesh, Nepal, Panama and "
     "Uruguay'); ROA-264-9 names it only in a comment, not as a focus country."),
    ("projects-by-country", {"country": "https://w3id.org/sdgkg/country/BTN"},
     {"1819g", "women-in-public-institutions"},
     "Bhutan: 1819G ('Buthan', 000) and the women-in-public-institutions teaser (000)."),
    ("projects-by-country-group", {},
     {"roa-245-8a", "1617b", "roa-206-8", "1819g", "1819c", "integrated-policies-sids",
      "women-in-public-institutions", "togo-public-administration-reform"},
     "LDC: ROA 245-8A's focus is 'Least Developed Countries'; focus countries that were LDCs at the time: "
     "Bangladesh/Ethiopia (1617B), Bangladesh/Nepal (ROA 206-8), Bhutan/Laos/Vanuatu in 2018-2021 (1819G), "
     "Ethiopia/Senegal (1819C), Guinea-Bissau (SIDS teaser), Senegal/Laos (women teaser), Togo (001)."),
    ("projects-by-country-group", {"group": "https://w3id.org/sdgkg/group/sids"},
     {"1819g", "integrated-policies-sids", "women-in-public-institutions"},
     "SIDS: Fiji/Vanuatu (1819G), Mauritius/Seychelles/Guinea-Bissau/Jamaica (teaser), Mauritius (women "
     "teaser); The Bahamas (002 table) is a technical-cooperation activity, not a project."),
    ("projects-by-region", {},
     {"1617b", "roa-206-8", "1819g", "belt-and-road-2030-agenda", "astana-economic-forum-2015",
      "uae-eida-open-government", "women-in-public-institutions"},
     "Asia (M49 142): Bangladesh, Nepal, Bhutan, Laos, China, Kazakhstan, UAE as focus countries of projects "
     "(the 002 table's Bahrain, Brunei, Qatar, Saudi Arabia rows are technical-cooperation activities); "
     "'Asia and the Pacific' (UNPOG) is a named group, not M49 Asia."),
    ("projects-by-region", {"region": "https://w3id.org/sdgkg/region/002"},
     {"africa-parliaments", "1617b", "1819c", "integrated-policies-sids", "women-in-public-institutions",
      "togo-public-administration-reform"},
     "Africa (M49 002): 'Focus Countries: Africa' (001 parliaments) and Ethiopia, Cameroon, Senegal, "
     "Mauritius, Seychelles, Guinea-Bissau, Togo."),
    ("projects-by-partner", {}, {"1617b", "1819g"},
     "ESCAP: 'Partners: ESCAP' (1819G), 'UN Economic and Social Commission for Asia and the Pacific "
     "(UNESCAP)' (DA1617B, 000 and 001); the UNPOG-UNESCAP joint project (003) is a component of UNPOG."),
    ("projects-by-donor", {}, {"belt-and-road-2030-agenda"}, "000: 'Donor: Government of China'."),
    ("projects-by-funding-source", {},
     {"1617b", "roa-206-8", "roa-245-8a", "roa-264-9", "glo11x01", "colombia-egov-innovation-centre",
      "astana-economic-forum-2015", "da-knowledge-management-mdgs"},
     "'Funding: Development Account (DA)' on 000/001, and 004 is the Development Account's own page."),
    ("projects-by-lead-division", {},
     {"belt-and-road-2030-agenda", "1617b", "roa-206-8", "roa-245-8a", "roa-264-9", "glo15x01", "glo14x01",
      "glo11x01", "integrated-policies-sids"},
     "'Division: DPIDG' / 'Lead Division: UN DESA/DPIDG' on 000, and the teaser 'Lead by UN DESA (DPIDG, …)'."),
    ("projects-active-in-year", {},
     {"glo11x01", "glo14x01", "glo15x01", "int06x14", "roa-206-8", "roa-245-8a", "roa-264-9",
      "colombia-egov-innovation-centre", "unpsa-2015"},
     "2015: time frames that overlap it (e.g. ROA 245-8A July 2013 - December 2015, UNPSA August 2014 - "
     "July 2015, UNPOG March 2006 - June 2016 and 'Established in 2006' with no end)."),
    ("projects-by-listed-status", {},
     {"1617b", "belt-and-road-2030-agenda", "1819g", "1819c", "roa-206-8", "roa-245-8a", "roa-264-9",
      "glo15x01", "glo14x01", "glo11x01", "int06x14"},
     "000's 'Past Projects' section (001 lists everything as current)."),
]


@pytest.mark.parametrize(("name", "params", "expected", "why"), PROJECT_QUERIES,
                         ids=[f"{q[0]}-{i}" for i, q in enumerate(PROJECT_QUERIES)])
def test_project_queries(store, name, params, expected, why):
    assert projects(run(store, name, **params)) == expected, why


def test_lead_division_with_predecessor(store):
    # DPADM (renamed DPIDG in 2019) led every project of the stripped page 001 and UNPOG (003).
    rows = run(store, "projects-by-lead-division", include_predecessor="true")
    got = projects(rows)
    assert {"int06x14", "togo-public-administration-reform", "unpsa-2015", "africa-parliaments"} <= got
    assert {r["ledBy"].removeprefix(ORG) for r in rows} == {"dpidg", "dpadm"}


def amounts(rows, key):
    return {r[key].removeprefix(ORG).rsplit("/", 1)[-1]: (Decimal(r["total"]) if "total" in r else None,
                                                       int(r["withAmount"]), int(r["withoutAmount"]))
            for r in rows}


def test_budget_by_funding_source(store):
    got = amounts(run(store, "budget-by-funding-source"), "fundingSource")
    # 000/001 budgets of the DA projects: 592,000 (ROA 206-8) + 362,900 (ROA 245-8A) + 592,000 (ROA-264-9)
    # + 1,892,660 (GLO11X01) + 164,189 (Colombia block, 001) + 442,451 (Astana, 001); DA1617B's budget is
    # empty and the DA page (004) gives none: 2 without an amount.
    assert got["un-da"] == (Decimal(4046200), 6, 2)
    assert got["xbtc"] == (Decimal(6496649), 2, 0)  # 6,144,831 (parliaments) + 351,818 (Togo), 001
    assert got["mopas"] == (Decimal(10000000), 1, 0)  # UNPOG, 001
    assert got["gov-bra"] == (Decimal(3518594), 1, 0)  # GLO15X01
    assert got["un-pdf"] == (Decimal(3056613), 1, 0)  # Belt and Road, XB/Peace and Development Fund
    # annual amounts only (UNPOG 1.5 million a year, 003; MINTIC 800,000 a year, 002): unknown, not 0
    assert got["gov-kor"] == (None, 0, 1)
    assert got["mintic"] == (None, 0, 1)


def test_budget_by_donor_and_sdg(store):
    assert amounts(run(store, "budget-by-donor"), "donor") == {"gov-chn": (Decimal(3056613), 1, 0)}
    by_goal = amounts(run(store, "budget-by-sdg"), "goal")
    assert by_goal["16"] == (Decimal(3056613), 1, 1)  # Belt and Road + the SDG 16 Conference (no budget)
    assert {g for g, v in by_goal.items() if v[0] == Decimal(3056613)} == {"7", "9", "10", "11", "16", "17"}


def test_budget_by_start_year(store):
    rows = {int(r["year"]): r for r in run(store, "budget-by-start-year")}
    assert Decimal(rows[2005]["total"]) == 6144831  # African parliaments, May 2005
    assert Decimal(rows[2011]["total"]) == 1580644 + 1892660  # GLO14X01 and GLO11X01, April 2011
    # 2014: GLO15X01 3,518,594; ROA 206-8 592,000; ROA-264-9 592,000; Astana 442,451; UNPSA 605,153
    assert Decimal(rows[2014]["total"]) == 3518594 + 592000 + 592000 + 442451 + 605153
    assert "total" not in rows[2016]  # 1617B starts 1 July 2016; its budget field is empty
    assert int(rows[2016]["withoutAmount"]) == 1


def test_co_partnership(store):
    rows = run(store, "co-partnership")
    top = rows[0]
    # DPADM and the Development Account share eight projects: the seven DA projects of 001 and 004.
    assert (top["a"].removeprefix(ORG), top["b"].removeprefix(ORG), top["projects"]) == ("dpadm", "un-da", "8")
    assert all(int(r["projects"]) >= 2 for r in rows)
    assert len(run(store, "co-partnership", min_projects="6")) < len(rows)


def test_countries_most_served(store):
    rows = run(store, "countries-most-served")
    twos = {r["country"].rsplit("/", 1)[1] for r in rows if r["projects"] == "2"}
    # two projects each: BGD (1617B, ROA 206-8), ETH (1617B, 1819C), BTN and LAO (1819G, women teaser),
    # SEN (1819C, women teaser), MUS (SIDS and women teasers); Panama's 002 table row is a
    # technical-cooperation activity, not a second project
    assert twos == {"BGD", "ETH", "BTN", "LAO", "SEN", "MUS"}
    assert max(int(r["projects"]) for r in rows) == 2


def test_project_provenance(store):
    rows = run(store, "project-provenance")
    titles = {(r["file"], r["from"], r["value"]) for r in rows if r["property"].endswith("/title")}
    assert titles == {
        ("000_c4aa7e2cc117d534.txt", "24", "Building institutional capacity for evidence- and data-based "
         "e-government policies in support of the Sustainable Development Goals"),
        ("000_c4aa7e2cc117d534.txt", "68", "Evidence-based e-government policies for advancing governmental "
         "service delivery and accountability in support of the Sustainable Development Goals")}
    assert {(r["file"], r["from"]) for r in rows} == {
        ("000_c4aa7e2cc117d534.txt", "24"), ("000_c4aa7e2cc117d534.txt", "68"), ("001_aafc5103e4ac824f.txt", "2")}


def test_source_disagreements(store):
    rows = run(store, "source-disagreements")
    fields = {(r["project"].removeprefix(P), r["field"]) for r in rows}
    assert {("1617b", "title"), ("1617b", "start"), ("1617b", "focus"),
            ("int06x14", "budget"), ("colombia-egov-innovation-centre", "funding source")} <= fields
    # refinements (DPADM renamed DPIDG, MOPAS within the Government of Korea) are not disagreements
    assert ("1617b", "lead division") not in fields and ("int06x14", "funding source") not in fields
    assert len(rows) == 8


def test_quality_findings(store, built):
    rows = run(store, "quality-findings-by-severity")
    by_severity: dict[str, int] = {}
    for r in rows:
        sev = r["severity"].rsplit("#", 1)[1]
        by_severity[sev] = by_severity.get(sev, 0) + int(r["findings"])
    v = built.summary["validation"]
    assert by_severity.get("Violation", 0) == v["violations"] == 0
    assert by_severity["Warning"] == v["warnings"] and by_severity["Info"] == v["infos"]
    shapes = {r["shape"].rsplit("#", 1)[1]: int(r["findings"]) for r in rows}
    assert shapes["NotLDCDuringTimeFrame"] == 2 and shapes["CopyPasteSuspicion"] == 2
    messages = [r["message"] for r in run(store, "quality-findings-for-project")]
    assert any("Panama was not an LDC" in m for m in messages)
    assert any("possibly copied" in m for m in messages)


def test_project_timeline(store):
    rows = run(store, "project-timeline")
    first = rows[0]
    assert (first["project"].removeprefix(P), first["start"], first["startPrecision"]) == (
        "africa-parliaments", "2005-05-01", "month")  # 'May 2005 - June 2013' (001)
    days = [r for r in rows if r["project"].endswith("/1617b") and r["startPrecision"] == "day"]
    assert [(r["start"], r["end"]) for r in days] == [("2016-07-01", "2019-12-31")]  # '1 July 2016 – 31 December 2019'


def test_organisation_roles(store):
    rows = run(store, "organisation-roles-in-project")
    got = {(r["role"], r["organisation"].removeprefix(ORG), r["asWritten"]) for r in rows}
    assert ("lead division", "dpidg", "DPIDG") in got and ("lead division", "dpadm", "DPADM") in got
    assert ("implementing", "dgb", "Digital Government Branch") in got  # from 000's comment
    assert ("funding source", "un-da", "Development Account (DA)") in got
    assert {o for r, o, _ in got if r == "partner"} == {
        "itu", "uneca", "unescap", "un-ohrlls", "undp", "partnership-measuring-ict"}


def test_name_resolutions(store):
    rows = run(store, "name-resolutions")
    got = {(r["asWritten"], r["method"], r["resolved"].rsplit("/", 1)[1]) for r in rows}
    assert ("Buthan", "corrected spelling", "BTN") in got
    assert ("Laos", "alias", "LAO") in got
    assert ("UNESCAP", "alias", "unescap") in got
    assert ("The Bahamas", "alias", "BHS") in got
    assert [r for r in rows if r["method"] == "corrected spelling"] == [r for r in rows if r["asWritten"] == "Buthan"]


def test_ldc_focus_at_project_time(store):
    rows = run(store, "ldc-focus-at-project-time")
    got = {(r["project"].removeprefix(P), r["country"].rsplit("/", 1)[1]): r["wasLDC"] for r in rows}
    assert got[("1819g", "BTN")] == "true"  # 2018-2021, Bhutan graduated 13 December 2023
    assert got[("1819g", "VUT")] == "true"  # Vanuatu graduated 4 December 2020, after the April 2018 start
    assert got[("1819g", "FJI")] == "false"
    assert got[("roa-206-8", "PAN")] == "false" and got[("roa-206-8", "URY")] == "false"


def test_listed_current_but_ended(store):
    rows = run(store, "listed-current-but-ended")
    assert len(rows) == 14  # every project of 001's 'Current Projects', all ended 2010-2019
    assert (rows[0]["project"].removeprefix(P), rows[0]["lastEnd"]) == ("togo-public-administration-reform",
                                                                        "2010-12-31")
    assert run(store, "listed-current-but-ended", on="2010-01-01") == []


def test_unknown_budgets(store):
    rows = run(store, "unknown-budgets")
    empty = {r["project"].removeprefix(P) for r in rows if r["why"] == "empty budget field"}
    assert empty == {"1617b"}  # DA1617B's 'Proposed Budget:' is empty (000 and 001)
    none = {r["project"].removeprefix(P) for r in rows if r["why"] == "no budget stated"}
    assert {"1819g", "1819c", "sdg16-conference", "da-knowledge-management-mdgs"} <= none
    assert "int06x14" not in none and "roa-206-8" not in none


def test_organisation_units(store):
    rows = run(store, "organisation-units")
    assert {r["unit"].removeprefix(ORG) for r in rows} == {
        "cdo", "dgb", "dpadm", "dpidg", "dsdg", "eapd", "egb", "unffs", "unpan", "unpog"}


def test_sdg_goal_counts(store):
    counts = {r["goal"].rsplit("/", 1)[1]: r for r in run(store, "sdg-goals-project-counts")}
    rows = {goal: int(r["projects"]) for goal, r in counts.items()}
    assert len(rows) == 17 and rows["16"] == 2 and rows["7"] == 1 and rows["1"] == 0
    # suggested links are counted apart; 'either' is at least each of the two
    assert int(counts["16"]["suggestedProjects"]) >= 20
    for r in counts.values():
        assert int(r["eitherProjects"]) >= max(int(r["projects"]), int(r["suggestedProjects"]))
    strict = {r["goal"].rsplit("/", 1)[1]: int(r["suggestedProjects"])
              for r in run(store, "sdg-goals-project-counts", minConfidence="0.9")}
    assert strict["16"] < int(counts["16"]["suggestedProjects"])


def test_sdg_links_choose_stated_suggested_or_both(store):
    stated = run(store, "projects-by-sdg-goal", links="stated")
    suggested = run(store, "projects-by-sdg-goal", links="suggested")
    both = run(store, "projects-by-sdg-goal")
    assert {r["via"] for r in stated} == {"stated"} and {r["via"] for r in suggested} == {"suggested"}
    assert all(0.5 <= float(r["confidence"]) <= 1 for r in suggested)
    assert sorted(map(str, both)) == sorted(map(str, stated + suggested))
    sure = run(store, "projects-by-sdg-goal", links="suggested", minConfidence="0.9")
    assert projects(sure) < projects(suggested) and all(float(r["confidence"]) >= 0.9 for r in sure)
    # 'projects by SDG target' answers with its defaults now: 16.6 suggested for e-government projects
    target = run(store, "projects-by-sdg-target")
    assert {"1617b", "roa-206-8"} <= projects(target) and {r["via"] for r in target} == {"suggested"}
    with pytest.raises(ParameterError):
        LIBRARY["projects-by-sdg-goal"].bind({"links": "some"})


@pytest.mark.parametrize("bad", [{"goal": "not an iri"}, {"goal": "http://x/ y"}, {"nope": "1"}])
def test_parameters_are_validated(bad):
    with pytest.raises(ParameterError):
        LIBRARY["projects-by-sdg-goal"].bind(bad)
    with pytest.raises(ParameterError):
        LIBRARY["projects-active-in-year"].bind({"year": "1999; DROP"})


def test_values_are_bound_not_spliced():
    text = LIBRARY["projects-by-country"].bind({"country": "https://w3id.org/sdgkg/country/NPL"})
    assert "VALUES ?country { <https://w3id.org/sdgkg/country/NPL> }" in text
    with pytest.raises(ParameterError):
        LIBRARY["projects-by-country"].bind({"country": "https://x/> } ; DROP ALL ; #"})


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_every_query_parses_and_runs_with_its_defaults(store, name):
    q = LIBRARY[name]
    text = q.bind({})
    if "internet" in q.needs:
        from rdflib.plugins.sparql.parser import parseQuery

        parseQuery(text)  # runs against a stand-in in tests/server/test_api.py
        return
    run_query(store, text)  # raises on any error


def test_project_spans_are_safe_to_aggregate(store):
    """Issue 13's query trap: an open end made MIN/MAX drop the project; the inferred span does not."""
    rows = {r["project"].removeprefix(P): r for r in run(store, "project-spans")}
    unpog = rows["int06x14"]  # "Established in 2006" (open) and "March 2006 - June 2016"
    assert (unpog["earliestStart"], unpog["startPrecision"], unpog["latestEnd"], unpog["endPrecision"],
            unpog["endOpen"]) == ("2006-01-01", "year", "2016-06-30", "month", "true")
    assert rows["1617b"]["earliestStart"] == "2016-07-01" and rows["1617b"]["endOpen"] == "false"
    with_frames = run_query(store, PREFIXES + """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?p a sdgkg:Project ; sdgkg:timeFrame ?tf }""")
    assert len(rows) == int(next(iter(with_frames))["n"].value)  # one row per project with a time frame
    years = run_query(store, PREFIXES + """SELECT (MIN(?s) AS ?first) (MAX(?e) AS ?last) WHERE {
        ?p a sdgkg:Project ; sdgkg:earliestStart ?s OPTIONAL { ?p sdgkg:latestEnd ?e } }""")
    row = next(iter(years))
    assert row["first"].value == min(r["earliestStart"] for r in rows.values())
    assert row["last"].value == max(r["latestEnd"] for r in rows.values() if "latestEnd" in r)
