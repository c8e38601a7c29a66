"""/api/search and /search on a real `kg serve`, with httpx."""

from __future__ import annotations

import httpx


def test_api_search_json(server):
    r = httpx.get(server + "/api/search", params={"q": "Buthan"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["total"] == 4 and body["expanded"] == {"buthan": ["bhutan"]}
    assert set(body["hits"][0]) == {"iri", "label", "type", "score", "snippet"}
    # UNPOG's country-specific services (a component of a project, issue 13) name Bhutan too
    assert {(f["label"], f["count"]) for f in body["facets"]["type"]} == {
        ("country", 1), ("project", 2), ("project component", 1)}


def test_api_search_filters_paging_and_values(server):
    one = httpx.get(server + "/api/search", params={"q": "government", "type": "project", "limit": 2}).json()
    assert len(one["hits"]) == 2 and one["total"] > 2 and {h["type"] for h in one["hits"]} == {"project"}
    two = httpx.get(server + "/api/search", params={"q": "government", "type": "project", "limit": 2, "offset": 2})
    assert {h["iri"] for h in two.json()["hits"]}.isdisjoint(h["iri"] for h in one["hits"])
    values = httpx.get(server + "/api/search", params={"q": "1617B", "format": "values"})
    assert values.status_code == 200 and "<https://w3id.org/sdgkg/project/1617b>" in values.text
    assert values.text.startswith("VALUES ?resource {")


def test_api_search_errors_are_json(server):
    for params in ({"q": " "}, {"q": "x", "limit": 0}, {"q": "x", "format": "xml"}, {}):
        r = httpx.get(server + "/api/search", params=params)
        assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/json"), params


def test_openapi_documents_search(server):
    spec = httpx.get(server + "/openapi.json").json()
    op = spec["paths"]["/api/search"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"q", "type", "country", "sdg", "sdg-suggested", "organisation", "source", "year", "format"} <= names


def test_search_page_and_the_search_box_on_every_page(server):
    page = httpx.get(server + "/search", params={"q": "parliaments africa"})
    assert page.status_code == 200 and "<mark>" in page.text and "africa-parliaments" in page.text
    for path in ("/", "/projects", "/sdgs", "/project/1617b", "/query"):
        html = httpx.get(server + path, headers={"Accept": "text/html"}).text
        assert 'action="/search"' in html, path
    empty = httpx.get(server + "/search")
    assert empty.status_code == 200 and "api/search" in empty.text
