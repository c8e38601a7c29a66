"""Serving from the build's on-disk store: `kg build` writes `store/` (the dataset plus the union
default graph), workers open it read-only and answer exactly as the in-memory workers do; a
missing or damaged store is refused with what to do; a new build is picked up atomically."""

import shutil
import subprocess
import sys

import httpx
import pyoxigraph as ox

from kg.build import build
from kg.ingest.sources import read_manifest, user_sources
from tests.conftest import DATA, kg_server, wait_for

P = "PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX dct: <http://purl.org/dc/terms/> "
QUERIES = [
    P + "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    P + "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    P + "SELECT ?p ?t WHERE { ?p a sdgkg:Project ; dct:title ?t } ORDER BY ?p ?t LIMIT 20",
    P + "SELECT ?c (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p sdgkg:focusCountry ?c } GROUP BY ?c ORDER BY DESC(?n) ?c",
]


def answers(url: str) -> list:
    out = []
    for q in QUERIES:
        r = httpx.get(url + "/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"},
                      timeout=60)  # fmt: skip
        assert r.status_code == 200, r.text
        out.append(r.json()["results"]["bindings"])
    return out


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_build_writes_an_on_disk_store_with_the_union_default_graph(built):
    store = ox.Store.read_only(str(built.out / "store"))
    assert len(store) == built.summary["store"]["quads"]  # type: ignore[index]
    named = sum(1 for _ in store.quads_for_pattern(None, None, None, None) if _.graph_name != ox.DefaultGraph())
    assert named == built.quads
    default = set(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    distinct = {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(built.out / "dataset.nq"),
                                                                     format=ox.RdfFormat.N_QUADS)}  # fmt: skip
    assert len(default) == len(distinct)


def test_disk_workers_answer_as_memory_workers(built):
    with kg_server(built.out, "--workers", "2", "--store-mode", "memory") as memory:
        expected = answers(memory)
        memory_rss = max(rss_mb(pid) for pid in memory.workers())
    with kg_server(built.out, "--workers", "2", "--store-mode", "disk") as disk:
        assert answers(disk) == expected
        disk_rss = max(rss_mb(pid) for pid in disk.workers())
    assert expected[0][0]["n"]["value"] != "0"
    assert disk_rss < 500
    print(f"worker RSS: memory {memory_rss:.0f} MB, disk {disk_rss:.0f} MB")


def test_a_missing_store_is_refused_in_disk_mode(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built.out, copy, symlinks=False)
    shutil.rmtree(copy / "store")
    run = subprocess.run(
        [sys.executable, "-m", "kg.cli", "serve", "--build", str(copy), "--port", "1", "--store-mode", "disk"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0
    assert "no on-disk store" in run.stderr and "kg build" in run.stderr and "Traceback" not in run.stderr


def test_a_new_build_is_swapped_in_under_disk_workers(tmp_path):
    out = tmp_path / "build"
    build(out, progress=lambda _m: None)
    with kg_server(out, "--workers", "2", "--store-mode", "disk") as url:
        before = answers(url)[0][0]["n"]["value"]
        build(out, sources=read_manifest() + user_sources([DATA / "iati" / "sdg-forms.xml"]), progress=lambda _m: None)
        assert wait_for(lambda: answers(url)[0][0]["n"]["value"] != before, timeout=60)
        after = answers(url)[0][0]["n"]["value"]
    assert int(after) > int(before)
