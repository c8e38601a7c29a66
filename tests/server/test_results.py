"""The row limit on natively written SELECT results (kg/server/results.py, kg/server/workers.py)."""

import json

import pyoxigraph as ox
import pytest

from kg.server import results
from kg.server.workers import Job, evaluate

# literals that would fool a naive row count: a newline (CSV), a tag (XML), brackets (JSON)
TRICKY = ['"a\\nb\\nc"', '"<result></result><result>"', '"}},{\\"x\\":{}},{"', '"plain"']


def values_query(n: int) -> str:
    rows = " ".join(TRICKY[i % len(TRICKY)] for i in range(n))
    return f"SELECT ?x ?y WHERE {{ VALUES ?x {{ {rows} }} }}"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_a_result_at_the_row_limit_passes_and_one_more_row_is_refused(fmt):
    store = ox.Store()
    at_limit = evaluate(store, Job("query", values_query(8), fmt=fmt, max_rows=8))
    assert at_limit.status == 200, at_limit.body
    over = evaluate(store, Job("query", values_query(9), fmt=fmt, max_rows=8))
    assert over.status == 413
    assert "more than 8 result rows" in json.loads(over.body)["error"]


def test_a_result_past_the_byte_cap_stops_while_being_written():
    sink = results.CappedSink(100)
    store = ox.Store()
    with pytest.raises((OSError, results.ResultTooLarge)):
        store.query(values_query(50)).serialize(sink, format=ox.QueryResultsFormat.JSON)
    assert sink.over and sink.size > 100


def test_the_native_json_answer_keeps_every_term_kind():
    store = ox.Store()
    q = 'SELECT ?x WHERE { VALUES ?x { 1 "a"@en "b" <http://example.org/x> } }'
    body = json.loads(evaluate(store, Job("query", q, fmt="json")).body)
    assert body["head"]["vars"] == ["x"]
    assert [b["x"] for b in body["results"]["bindings"]] == [
        {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
        {"type": "literal", "value": "a", "xml:lang": "en"},
        {"type": "literal", "value": "b"},
        {"type": "uri", "value": "http://example.org/x"},
    ]


@pytest.mark.parametrize(
    ("query", "bound"),
    [
        ("SELECT * { ?s ?p ?o } LIMIT 100", 100),
        ("select * where { ?s ?p ?o }\nlimit 10\n", 10),
        ("SELECT * { ?s ?p ?o } ORDER BY DESC(?x) LIMIT 20 OFFSET 5", 20),
        ("SELECT * { ?s ?p ?o } OFFSET 5 LIMIT 7", 7),
        ("SELECT ?s (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?s HAVING (COUNT(*) > 1) ORDER BY ?n LIMIT 3", 3),
        ("SELECT * { ?s ?p ?o }", None),
        ("SELECT * { ?s ?p ?o } # LIMIT 5", None),  # a comment
        ('SELECT * { ?s ?p ?o } ORDER BY (STR("}")) LIMIT 5', None),  # a brace in a string: not read
        ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 5 } }", None),  # the inner query's limit
        ("SELECT * { ?s ?p ?o } LIMIT 5 VALUES ?s { <a> }", None),
    ],
)
def test_the_outer_limit_is_read_only_when_it_is_certain(query, bound):
    assert results.row_bound(query) == bound


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_a_limit_within_the_row_limit_is_answered_and_one_past_it_still_checked(fmt):
    store = ox.Store()
    within = evaluate(store, Job("query", values_query(9) + " LIMIT 8", fmt=fmt, max_rows=8))
    assert within.status == 200, within.body
    assert within.body == store.query(values_query(8)).serialize(format=results.NATIVE_SELECT[fmt])
    for tail in (" LIMIT 9", " # LIMIT 8"):
        over = evaluate(store, Job("query", values_query(9) + tail, fmt=fmt, max_rows=8))
        assert over.status == 413, tail
