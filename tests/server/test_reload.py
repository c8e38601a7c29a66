"""A new build is picked up while serving; a broken one never replaces the store being served.
The default graph is configurable (union of the named graphs, or empty)."""

import shutil
import time

import httpx
import pyoxigraph as ox

from kg.build import seal, swap_in
from tests.conftest import kg_server, wait_for

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(url: str) -> int:
    r = httpx.get(url + "/sparql", params={"query": COUNT}, timeout=30)
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def write_build(directory, n: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    quads = [ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(str(i)), ox.NamedNode("urn:g"))
             for i in range(n)]
    ox.serialize(quads, str(directory / "dataset.nq"), ox.RdfFormat.N_QUADS)
    seal(directory)


def test_new_build_is_swapped_in_and_a_broken_one_is_not(built, tmp_path):
    served = tmp_path / "build"
    shutil.copytree(built.out, served)
    with kg_server(served) as url:
        before = count(url)
        assert before > 10000
        write_build(tmp_path / "new", 3)
        swap_in(tmp_path / "new", served)  # what `kg build` does
        assert wait_for(lambda: count(url) == 3), "the new build was not picked up"
        # a broken dataset (truncated N-Quads) must not replace the store being served
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "dataset.nq").write_text('<urn:a> <urn:b> "unterminated .\n')
        swap_in(broken, served)
        time.sleep(6)
        assert count(url) == 3
        assert httpx.get(url + "/", timeout=30).status_code == 200


def test_empty_default_graph_option(built):
    with kg_server(built.out, "--default-graph", "empty") as url:
        r = httpx.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert r.json()["boolean"] is False
        assert count(url) > 10000  # named graphs are all there
        sd = httpx.get(url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30).text
        assert "UnionDefaultGraph" not in sd and "The default graph is empty" in sd
