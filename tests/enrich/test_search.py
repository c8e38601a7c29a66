"""Full-text search: the index the build writes, misspellings, codes, facets, snippets, VALUES."""

from __future__ import annotations

import sqlite3

import pytest

from kg.enrich.search import INDEX_FILE, Searcher, SearchUnavailable

P = "https://w3id.org/sdgkg/project/"


@pytest.fixture(scope="module")
def searcher(built):
    s = Searcher(built.out / INDEX_FILE)
    yield s
    s.close()


def projects(results) -> set[str]:
    return {h.iri.removeprefix(P) for h in results.hits if h.type == "project"}


def test_the_build_indexes_projects_organisations_countries_sdgs_and_sources(built):
    db = sqlite3.connect(built.out / INDEX_FILE)
    kinds = dict(db.execute("SELECT type, COUNT(*) FROM docs GROUP BY type").fetchall())
    db.close()
    assert kinds["project"] == 26 and kinds["technical-cooperation activity"] == 9 and kinds["event"] == 3 and kinds["source document"] == 5 and kinds["SDG goal"] == 17
    assert kinds["SDG target"] == 169 and kinds["country"] >= 240 and kinds["organisation"] >= 20


def test_a_misspelt_name_and_the_right_one_find_the_same_projects(searcher):
    # 1819G's page writes 'Buthan'; the women-in-public-institutions project writes 'Bhutan'
    right, wrong = searcher.search("Bhutan"), searcher.search("Buthan")
    assert projects(right) == projects(wrong) == {"1819g", "women-in-public-institutions"}
    assert wrong.expanded == {"buthan": ["bhutan"]} and right.expanded == {"bhutan": ["buthan"]}
    assert right.hits[0].iri == "https://w3id.org/sdgkg/country/BTN"  # the label match ranks first
    assert projects(searcher.search("Bhutn")) == projects(right)  # a typo of the query itself


@pytest.mark.parametrize("code, project", [("1617B", "1617b"), ("DA1617B", "1617b"), ("ROA 206-8", "roa-206-8"),
                                            ("GLO14X01", "glo14x01")])
def test_codes_as_printed_find_their_project(searcher, code, project):
    assert project in projects(searcher.search(code))


def test_words_in_any_order_with_an_unfinished_last_word(searcher):
    assert "africa-parliaments" in {
        h.iri.removeprefix(P) for h in searcher.search("africa parliam").hits}


def test_facets_count_all_hits_and_filters_narrow_them(searcher):
    everything = searcher.search("government", limit=5)
    assert everything.total > len(everything.hits)
    types = {f["value"]: f["count"] for f in everything.facets["type"]}
    assert sum(types.values()) == everything.total
    only = searcher.search("government", {"type": ["project"]}, limit=100)
    assert only.total == types["project"] and {h.type for h in only.hits} == {"project"}
    btn = searcher.search("government", {"country": ["https://w3id.org/sdgkg/country/BTN"]}, limit=100)
    assert 0 < btn.total < only.total
    year = searcher.search("government", {"type": ["project"], "year": ["2019"]}, limit=100)
    assert 0 < year.total < only.total
    assert {"country", "organisation", "source", "year", "sdg-suggested"} <= set(everything.facets)


def test_snippets_mark_the_words_and_escape_the_text(searcher):
    hit = searcher.search("parliaments africa").hits[0]
    assert "<mark>" in hit.snippet and "<script" not in hit.snippet
    amp = [h for h in searcher.search("research report gender").hits if "&quot;" in h.snippet or "&amp;" in h.snippet]
    assert all("<mark>" in h.snippet for h in amp)


def test_results_as_a_sparql_values_block(searcher, store):
    block = searcher.search("e-government", {"type": ["project"]}, limit=100).values_block()
    assert block.startswith("VALUES ?resource {")
    from tests.conftest import select

    rows = select(store, "SELECT ?resource ?label WHERE { " + block + " ?resource rdfs:label ?label }")
    assert len(rows) == block.count("<https://")


def test_no_words_no_results_and_a_missing_index_says_what_to_do(searcher, tmp_path):
    assert searcher.search("  ,,, ").total == 0
    with pytest.raises(SearchUnavailable, match="kg build"):
        Searcher(tmp_path / INDEX_FILE)


def test_labels_shown_are_english_and_other_languages_still_match(searcher):
    water = searcher.search("water sanitation", {"type": ["SDG goal"]})
    assert [h.label for h in water.hits] == ["Ensure availability and sustainable management of water and sanitation for all"]
    french = searcher.search("plans d'eau")  # the KOS' French label of indicator 6.3.2
    assert french.hits and french.hits[0].label.startswith("Proportion of bodies of water")
