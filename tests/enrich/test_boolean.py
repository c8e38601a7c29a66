"""The Scopus-style Boolean matcher behind the SDG rules: syntax, precedence, evidence spans."""

from __future__ import annotations

import pytest

from kg.enrich.boolean import Document, QuerySyntaxError, compile_query


def quotes(query: str, text: str) -> list[str]:
    doc = Document.of(text)
    return [doc.quote(*s) for s in compile_query(query).spans(doc)]


def test_truncation_and_within_n_words_either_order():
    assert quotes('("reduc*") W/3 ("violence" OR "homicide")', "It reduced armed violence.") == [
        "reduced armed violence"]
    assert quotes('"violence" W/3 "reduc*"', "It reduced armed violence.") == ["reduced armed violence"]
    assert quotes('"reduc*" W/1 "violence"', "It reduced armed violence.") != []  # n words may come between
    assert quotes('"reduc*" W/0 "violence"', "It reduced armed violence.") == []


def test_pre_n_keeps_the_order():
    assert quotes('"public" PRE/2 "institutions"', "public and accountable institutions") != []
    assert quotes('"institutions" PRE/2 "public"', "public and accountable institutions") == []


def test_loose_phrases_find_plurals_and_exact_braces_do_not():
    assert quotes('"policy"', "Two policies were adopted.") == ["policies"]
    assert quotes("{policy}", "Two policies were adopted.") == []
    assert quotes('"public sector"', "the Public  Sector") == ["Public Sector"]  # as written, spaces folded


def test_precedence_or_then_proximity_then_and_then_and_not():
    q = '"water" OR "sanitation" AND "rural" AND NOT "urban"'
    assert quotes(q, "sanitation in rural areas") == ["sanitation", "rural"]
    assert quotes(q, "sanitation in rural and urban areas") == []
    assert quotes(q, "sanitation only") == []


def test_accents_and_case_are_folded():
    assert quotes('"cote d ivoire"', "Côte d’Ivoire") == ["Côte d’Ivoire"]


@pytest.mark.parametrize("bad", ['("open"', '"a" AND', "AND", '"a" W/3', '""'])
def test_syntax_errors_name_the_problem(bad):
    with pytest.raises(QuerySyntaxError):
        compile_query(bad)


def test_anchors_are_a_necessary_condition():
    q = compile_query('("reduc*") W/3 ("violence" OR "homicide") AND "number*"')
    assert q.anchors() in ({("reduc", True)}, {("number", True)}, {("violence", False), ("homicide", False)})
