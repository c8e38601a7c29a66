"""The whole build: every appearance in the KG, provenance, conflicts, dumps, determinism, safety."""

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg.build import OUTPUTS, build
from kg.errors import SourceError
from kg.ingest.sources import read_manifest
from tests.conftest import DATA, select

EXPECTED_APPEARANCES = {
    "dpidg-projects": 22,  # 10 teasers + 12 past projects
    "dpadm-projects-stripped": 14,
    "egb-presentation-2014": 11,  # 9 table rows, the Colombia section, the UNPOG mention
    "unpog-presentation-2014": 10,  # UNPOG and 9 parts of its work
    "da-projects": 1,
}


def test_every_appearance_is_a_graph_with_provenance(built, store):
    assert built.summary["appearances_per_source"] == EXPECTED_APPEARANCES
    rows = select(store, """
        SELECT ?doc (COUNT(DISTINCT ?g) AS ?n) WHERE {
          ?g a sdgkg:Appearance ; prov:wasDerivedFrom ?src ; sdgkg:describes ?p .
          ?src sdgkg:fileName ?file . BIND(STRAFTER(STR(?src), "source/") AS ?doc)
          GRAPH ?g { ?p a ?kind } ?kind rdfs:subClassOf sdgkg:WorkItem } GROUP BY ?doc""")
    assert {r["doc"]: int(r["n"]) for r in rows} == EXPECTED_APPEARANCES


def test_record_kinds_and_parts(store):
    """The EGB table rows are technical-cooperation activities; UNPOG's parts are linked to it."""
    kinds = select(store, """
        SELECT ?p ?kind WHERE { GRAPH ?g { ?p a ?kind } ?kind rdfs:subClassOf sdgkg:WorkItem
          FILTER(?kind != sdgkg:Project) } ORDER BY ?p""")
    by_kind: dict[str, set[str]] = {}
    for r in kinds:
        by_kind.setdefault(r["kind"].rsplit("#", 1)[1], set()).add(r["p"].rsplit("/", 1)[1])
    assert by_kind["TechnicalCooperationActivity"] == {
        "egb-tc-bahamas", "egb-tc-bahrain", "egb-tc-brunei", "egb-tc-colombia", "egb-tc-costa-rica",
        "egb-tc-panama", "egb-tc-qatar", "egb-tc-saudi-arabia", "egb-tc-united-arab-emirates"}
    assert by_kind["Event"] == {"unpsa-2014", "unpog-egov-workshop-2014", "gegf-2014"}
    assert by_kind["Publication"] == {"unpog-egov-compendium", "unpog-e-procurement-series",
                                      "unpog-sids-egov-research"}
    assert by_kind["ProjectComponent"] == {"unpacs", "unpog-unescap-gender-egov", "unpog-country-services"}
    parts = select(store, "SELECT DISTINCT ?part WHERE { ?part sdgkg:componentOf project:int06x14 }")
    assert len(parts) == 9
    inverse = select(store, "SELECT DISTINCT ?part WHERE { project:int06x14 sdgkg:hasComponent ?part }")
    assert len(inverse) == 9  # the inverse, inferred
    assert not select(store, "SELECT ?p WHERE { ?p a sdgkg:Project , sdgkg:TechnicalCooperationActivity }")
    gegf = select(store, """SELECT ?venue ?start ?end WHERE { project:gegf-2014 sdgkg:venue ?venue ;
        schema:startDate ?start ; schema:endDate ?end }""")
    assert [(r["venue"].rsplit("/", 1)[1], r["start"], r["end"]) for r in gegf] == [("KAZ", "2014-10-01", "2014-10-31")]
    # the Colombia table row is no longer merged into the Colombia centre (a spurious end-date conflict)
    assert not select(store, """SELECT ?c WHERE { ?c sdgkg:conflictOf project:colombia-egov-innovation-centre ;
        sdgkg:conflictField ?f FILTER(CONTAINS(LCASE(STR(?f)), "end")) }""")


def _normalised(text: str) -> str:
    return " ".join(text.split())


def test_every_as_written_literal_is_in_its_source_lines(built, store):
    """An as-written value holds only text its source contains (from its line to the appearance's end)."""
    from kg.ingest.reference import PAGES_DIR

    files = {r["doc"]: r["file"] for r in select(store, """SELECT ?doc ?file WHERE {
        ?d a sdgkg:SourceDocument ; sdgkg:fileName ?file BIND(STRAFTER(STR(?d), "source/") AS ?doc) }""")}
    lines = {doc: (PAGES_DIR / f).read_text(encoding="utf-8").split("\n") for doc, f in files.items()}
    rows = select(store, """
        SELECT ?g ?doc ?from ?to ?node ?written ?line WHERE {
          ?g a sdgkg:Appearance ; prov:wasDerivedFrom ?src ; sdgkg:startLine ?from ; sdgkg:endLine ?to .
          FILTER(STRSTARTS(STR(?src), "https://w3id.org/sdgkg/source/"))
          BIND(STRAFTER(STR(?src), "source/") AS ?doc)
          GRAPH ?g { ?node sdgkg:asWritten|sdgkg:codeAsWritten ?written
                     OPTIONAL { ?node sdgkg:line|sdgkg:fromField/sdgkg:line ?line } } }""")
    assert len(rows) > 500
    missing = []
    for r in rows:
        if r["doc"] not in lines:
            continue  # IATI activities: their own test
        first = int(r.get("line") or r["from"])
        first = min(first, int(r["from"]))
        span = _normalised(" ".join(lines[r["doc"]][first - 1 : int(r["to"])]))
        # a running text is joined from its lines: each of them is in the source
        if any(_normalised(piece) not in span for piece in r["written"].split("\n")):
            missing.append((r["doc"], r["node"], r["written"][:80]))
    assert missing == [], "\n".join(map(str, missing))


def test_repairs_are_records_with_rule_text_and_line(store):
    rows = select(store, """
        SELECT ?rule (COUNT(DISTINCT ?r) AS ?n) WHERE { ?p sdgkg:hasRepair ?r . ?r sdgkg:repairRule ?rule ;
          sdgkg:asWritten ?w ; sdgkg:repairedValue ?v ; sdgkg:line ?l } GROUP BY ?rule""")
    counts = {r["rule"].rsplit("#", 1)[1]: int(r["n"]) for r in rows}
    assert set(counts) == {"MarkupRemoved", "EscapeRemoved", "NonBreakingSpaceNormalised", "BoilerplateDropped",
                           "GluedLabelSeparated", "NameCorrected"}
    escape = select(store, """SELECT ?w ?v ?l WHERE { ?p a sdgkg:WorkItem ; sdgkg:hasRepair ?r .
        ?r sdgkg:repairRule sdgkg:EscapeRemoved ;
        sdgkg:asWritten ?w ; sdgkg:repairedValue ?v ; sdgkg:line ?l }""")
    assert [(r["l"], "US\\$" in r["w"], "US$ 800,000" in r["v"]) for r in escape] == [("157", True, True)]
    glued = select(store, """SELECT ?w ?v WHERE { ?r sdgkg:repairRule sdgkg:GluedLabelSeparated ;
        sdgkg:asWritten ?w ; sdgkg:repairedValue ?v }""")
    assert ("Focus Countries:Cameroon, Ethiopia, Senegal", "Focus Countries: Cameroon, Ethiopia, Senegal") in {
        (r["w"], r["v"]) for r in glued}
    link = select(store, """SELECT ?l WHERE { ?r sdgkg:repairRule sdgkg:BoilerplateDropped ; sdgkg:line ?l ;
        sdgkg:asWritten "Click here to go to link to project page" }""")
    assert {r["l"] for r in link} == {"19", "87"}


def test_every_value_says_how_it_was_stated(store):
    rows = select(store, """SELECT ?how (COUNT(?f) AS ?n) WHERE { ?p sdgkg:hasField ?f . ?f sdgkg:statedAs ?how ;
        sdgkg:line ?l ; sdgkg:asWritten ?w } GROUP BY ?how""")
    assert {r["how"].rsplit("#", 1)[1] for r in rows} == {
        "StatedInField", "StatedInTableColumn", "StatedInHeading", "StatedInBodyText", "InferredFromContext"}
    # a focus stated in a 'Focus Countries:' field vs a country named in a teaser's text
    columns = select(store, """SELECT DISTINCT ?label WHERE { project:egb-tc-qatar sdgkg:hasField ?f .
        ?f sdgkg:statedAs sdgkg:StatedInTableColumn ; sdgkg:labelAsWritten ?label }""")
    assert {r["label"] for r in columns} == {"Country", "Purpose", "Accomplishments", "Follow-up"}
    mentions = select(store, """SELECT ?how WHERE { ?p sdgkg:hasMention ?m . ?m sdgkg:refersTo country:BTN ;
        sdgkg:fromField ?f . ?f sdgkg:statedAs ?how }""")
    assert {r["how"].rsplit("#", 1)[1] for r in mentions} >= {"StatedInField"}


def test_source_documents_carry_checksums(store):
    rows = select(store, "SELECT ?f ?sha WHERE { ?d a sdgkg:SourceDocument ; sdgkg:fileName ?f ; sdgkg:sha256 ?sha }")
    import hashlib

    from kg.ingest.reference import PAGES_DIR
    assert len(rows) == 5
    for r in rows:
        assert r["sha"] == hashlib.sha256((PAGES_DIR / r["f"]).read_bytes()).hexdigest()


def test_one_iri_per_project_across_code_variants(store):
    rows = select(store, """
        SELECT ?written WHERE { GRAPH ?g { project:1617b sdgkg:codeAsWritten ?written } } ORDER BY ?written""")
    assert [r["written"] for r in rows] == ["1617B", "DA1617B"]


def test_disagreeing_values_are_all_kept_each_in_its_graph(store):
    rows = select(store, """
        SELECT ?g ?title WHERE { GRAPH ?g { project:1617b dct:title ?title } } ORDER BY ?g ?title""")
    assert len(rows) == 2 and len({r["g"] for r in rows}) == 2
    starts = select(store, """
        SELECT DISTINCT ?start WHERE { GRAPH ?g { project:1617b schema:startDate ?start } } ORDER BY ?start""")
    assert [r["start"] for r in starts] == ["2016-07-01", "2017-01-01"]
    focus = select(store, """
        SELECT ?g (GROUP_CONCAT(STR(?c); separator=" ") AS ?cs) WHERE {
          GRAPH ?g { project:1617b sdgkg:focusCountry ?c } } GROUP BY ?g""")
    assert sorted(len(r["cs"].split()) for r in focus) == [1, 2, 2]  # 001 says only Bangladesh


def test_conflicts_are_reported(built, store):
    conflicts = built.summary["conflicts"]
    p = "https://w3id.org/sdgkg/project/1617b"
    assert {f"{p} {f}" for f in ("title", "start", "focus")} <= set(conflicts)
    rows = select(store, """
        SELECT ?field WHERE { ?c a sdgkg:ValueConflict ; sdgkg:conflictOf project:int06x14 ;
                                 sdgkg:conflictField ?field } ORDER BY ?field""")
    assert [r["field"] for r in rows] == ["budget", "title"]
    # the field as IRIs: focus countries and focus groups are compared together (issue 13)
    focus = select(store, """SELECT ?prop WHERE { ?c sdgkg:conflictOf project:1617b ; sdgkg:conflictField "focus" ;
        sdgkg:conflictProperty ?prop } ORDER BY ?prop""")
    assert [r["prop"].rsplit("#", 1)[1] for r in focus] == ["focusCountry", "focusGroup"]
    # '2013' and 'September 2013' agree: dates are compared at the precision the sources give
    assert "https://w3id.org/sdgkg/project/uae-eida-open-government start" not in conflicts


def test_organisations_at_another_level_or_name_are_refinements_not_conflicts(built, store):
    """MOPAS is within the Government of Korea; DPADM was renamed DPIDG (2019): issue 13."""
    refinements = built.summary["refinements"]
    unpog = refinements["https://w3id.org/sdgkg/project/int06x14 funding source"]
    assert unpog["kind"] == "part of" and "https://w3id.org/sdgkg/project/int06x14 funding source" not in \
        built.summary["conflicts"]
    assert refinements["https://w3id.org/sdgkg/project/glo15x01 lead division"]["kind"] == "renamed"
    rows = select(store, """SELECT ?kind WHERE { ?r a sdgkg:ValueRefinement ; sdgkg:conflictOf project:int06x14 ;
        sdgkg:conflictProperty sdgkg:fundingSource ; sdgkg:refinementKind ?kind }""")
    assert rows == [{"kind": "part of"}]
    assert not select(store, "SELECT ?r WHERE { ?r a sdgkg:ValueRefinement , sdgkg:ValueConflict }")
    # a real difference stays a conflict: the Colombia centre's funder (UN DA vs MINTIC) is not within the other
    assert "https://w3id.org/sdgkg/project/colombia-egov-innovation-centre funding source" in built.summary["conflicts"]


def test_names_resolved_with_text_as_written(store):
    rows = select(store, """
        SELECT ?w ?c WHERE { ?m sdgkg:matchMethod sdgkg:CorrectedMatch ; sdgkg:asWritten ?w ; sdgkg:refersTo ?c }""")
    assert rows == [{"w": "Buthan", "c": "https://w3id.org/sdgkg/country/BTN"}]
    escap = select(store, """
        SELECT DISTINCT ?w WHERE { ?r sdgkg:agent organisation:unescap ; sdgkg:asWritten ?w } ORDER BY ?w""")
    assert [r["w"] for r in escap] == [
        "ESCAP", "UN Economic and Social Commission for Asia and the Pacific (UNESCAP)", "UNESCAP"]


def test_unknown_budget_is_not_zero(store):
    rows = select(store, """
        SELECT DISTINCT ?p ?v WHERE { ?p sdgkg:budget ?b . ?b a sdgkg:UnknownAmount . OPTIONAL { ?b schema:value ?v } }""")
    assert rows == [{"p": "https://w3id.org/sdgkg/project/1617b"}]


def test_sdgs_are_un_kos_iris(store):
    rows = select(store, "SELECT DISTINCT ?p ?s WHERE { ?p sdgkg:addressesSDG ?s } ORDER BY ?p ?s")
    got = {(r["p"].rsplit("/", 1)[1], r["s"].rsplit("/", 1)[1]) for r in rows}
    assert got == {("belt-and-road-2030-agenda", g) for g in ["7", "9", "10", "11", "16", "17"]} | {
        ("sdg16-conference", "16")}
    labelled = select(store, "SELECT ?l WHERE { sdg:16 skos:prefLabel ?l FILTER(LANG(?l) = 'en') }")
    assert labelled[0]["l"].startswith("Promote peaceful and inclusive societies")


def test_dated_ldc_membership(store):
    rows = select(store, """
        SELECT ?until WHERE { ?m sdgkg:member country:BTN ; sdgkg:group group:ldc ; sdgkg:memberUntil ?until }""")
    assert rows == [{"until": "2023-12-13"}]
    assert not select(store, "SELECT ?g WHERE { country:BTN sdgkg:inGroup group:ldc }")
    assert select(store, "SELECT ?x WHERE { country:NPL sdgkg:inGroup group:ldc BIND(1 AS ?x) }")


def test_renamings_and_trust_fund_donors_are_register_data(store):
    """DPADM -> DPIDG (2019) and EGB -> DGB from organisations.csv ``successor``; the UN Peace and
    Development Trust Fund's donor (China) from ``funded_by``, no longer a note string (issue 13)."""
    rows = select(store, """
        PREFIX org: <http://www.w3.org/ns/org#>
        SELECT ?o ?r ?d WHERE { ?e a org:ChangeEvent ; org:originalOrganization ?o ; org:resultingOrganization ?r
          OPTIONAL { ?e dct:date ?d } } ORDER BY ?o""")
    assert rows == [{"o": "https://w3id.org/sdgkg/organisation/dpadm",
                     "r": "https://w3id.org/sdgkg/organisation/dpidg", "d": "2019"},
                    {"o": "https://w3id.org/sdgkg/organisation/egb",
                     "r": "https://w3id.org/sdgkg/organisation/dgb"}]
    donor = select(store, """SELECT ?country WHERE {
        organisation:un-pdf <https://schema.org/funder> ?gov . ?gov sdgkg:governmentOf ?country }""")
    assert donor == [{"country": "https://w3id.org/sdgkg/country/CHN"}]


def test_projects_in_asia_and_the_pacific_use_escap_membership(store):
    """'Asia and the Pacific' was approximated by M49 regions that include Western Asia (issue 13):
    the group now lists ESCAP's regional and associate members, with its source and organisation."""
    group = "https://w3id.org/sdgkg/group/asia-pacific"
    projects = {r["p"] for r in select(store, f"""SELECT ?p WHERE {{
        ?p a sdgkg:Project ; sdgkg:servesArea <{group}> }}""")}
    assert {"https://w3id.org/sdgkg/project/1819g", "https://w3id.org/sdgkg/project/roa-206-8"} <= projects
    described = select(store, """SELECT ?source ?org WHERE {
        group:escap dct:source ?source ; sdgkg:membershipOf ?org }""")
    assert described == [{"source": "https://www.unescap.org/about/member-states",
                          "org": "https://w3id.org/sdgkg/organisation/unescap"}]
    france = select(store, """SELECT ?group ?type ?regional WHERE {
        ?m sdgkg:member country:FRA ; sdgkg:group ?group ; sdgkg:membershipType ?type ; sdgkg:regionalMember ?regional
        FILTER(?group IN (group:escap, group:asia-pacific)) }""")
    assert france == [{"group": "https://w3id.org/sdgkg/group/escap", "type": "member", "regional": "false"}]
    cook = select(store, "SELECT ?type WHERE { ?m sdgkg:member country:COK ; sdgkg:group group:escap ; sdgkg:membershipType ?type }")
    assert cook == [{"type": "associate member"}]


def test_every_project_has_a_label(store):
    rows = select(store, "SELECT ?p WHERE { ?p a sdgkg:Project FILTER NOT EXISTS { ?p rdfs:label ?l } }")
    assert rows == []


def test_dumps_round_trip(built):
    trig, nq = Dataset(), Dataset()
    trig.parse(built.out / "dataset.trig", format="trig")
    nq.parse(built.out / "dataset.nq", format="nquads")
    graphs = lambda ds: {str(g.identifier): g for g in ds.graphs() if len(g)}  # noqa: E731
    a, b = graphs(trig), graphs(nq)
    assert set(a) == set(b) and len(a) == built.summary["graphs"]
    for name in a:
        assert isomorphic(a[name], b[name]), name
    union_ttl, union_jsonld = Graph(), Graph()
    union_ttl.parse(built.out / "union.ttl", format="turtle")
    union_jsonld.parse(built.out / "union.jsonld", format="json-ld")
    union = Graph()
    for g in b.values():
        union += g
    assert isomorphic(union_ttl, union)
    assert isomorphic(union_jsonld, union)


def test_two_builds_are_byte_identical(built, tmp_path):
    again = build(tmp_path / "again", progress=lambda _m: None)
    for name in OUTPUTS:
        assert filecmp.cmp(built.out / name, again.out / name, shallow=False), name


def _bad_sources(tmp_path: Path) -> list:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(DATA / "pages" / "bad_time_frame.txt", pages / "bad.txt")
    (pages / "sources.csv").write_text(
        "file,doc_id,loader,title,publisher,listed_status,note\n"
        "bad.txt,bad-page,project_page,A bad page,nobody,,\n")
    return read_manifest(pages)


def test_failed_build_leaves_previous_build_untouched(built, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built.out, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(SourceError) as err:
        build(out, sources=_bad_sources(tmp_path), progress=lambda _m: None)
    assert "bad.txt:4" in str(err.value) and "Time Frame" in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["store"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build")] == []


def test_cli_reports_errors_without_traceback(tmp_path):
    env_src = tmp_path / "src"
    env_src.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--out", str(tmp_path / "b")],
        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert "built" in result.stdout and "[1/7]" in result.stderr
    assert (tmp_path / "b" / "dataset.trig").is_file()


def test_cli_bad_manifest_is_a_clear_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kg import cli
    from kg.ingest import sources as sources_module

    monkeypatch.setattr(sources_module, "read_manifest", lambda: _bad_sources(tmp_path))
    result = CliRunner().invoke(cli.main, ["build", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    last = result.output.strip().splitlines()[-1]
    assert last == (f"error: {tmp_path / 'pages' / 'bad.txt'}:4: Time Frame: unknown month 'Someday' "
                    "in 'Someday 2015'; expected e.g. '1 July 2016', 'July 2016' or '2016'")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
