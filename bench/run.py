"""Throughput and latency of five query classes against three endpoints, measured in one run:
our endpoint (`kg serve`), rdflib-endpoint (the named baseline) and `oxigraph serve`.

    python bench/run.py --triples 100000 [--clients 4] [--seconds 10]

Prints a table of queries per second, p50 and p95 latency, and the ratios of our throughput to
rdflib-endpoint's (target >= 15x at 1M triples) and to Oxigraph server's (target >= 0.8x).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402
from generate import main as _unused  # noqa: E402,F401  (keeps generate importable from here)

P = """PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
"""
QUERIES = {
    "multi-join": P
    + """SELECT ?p ?title ?org ?c WHERE { ?p a sdgkg:Project ; dct:title ?title ;
        sdgkg:leadDivision ?org ; sdgkg:focusCountry ?c . ?c sdgkg:inGroup <https://w3id.org/sdgkg/group/ldc> .
        ?org skos:prefLabel ?label } LIMIT 100""",
    "group-by sum": P
    + """SELECT ?donor (SUM(?v) AS ?total) (COUNT(?p) AS ?n) WHERE {
        ?p sdgkg:donor ?donor ; sdgkg:budget ?b . ?b schema:value ?v }
        GROUP BY ?donor ORDER BY DESC(?total) LIMIT 20""",
    "date filter": P
    + """SELECT ?p ?start WHERE { ?p schema:startDate ?start ; schema:endDate ?end .
        FILTER(?start <= "2015-12-31"^^<http://www.w3.org/2001/XMLSchema#date>
               && ?end >= "2015-01-01"^^<http://www.w3.org/2001/XMLSchema#date>) } LIMIT 500""",
    "co-occurrence": P
    + """SELECT ?a ?b (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p sdgkg:partner ?a , ?b .
        FILTER(STR(?a) < STR(?b)) } GROUP BY ?a ?b ORDER BY DESC(?n) LIMIT 20""",
    "path + optional": P
    + """SELECT ?p ?goal ?donor WHERE { ?p sdgkg:addressesSDG/skos:broader* ?goal .
        OPTIONAL { ?p sdgkg:donor ?donor } FILTER(?goal = <http://metadata.un.org/sdg/16>) } LIMIT 200""",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(args: list[str], url: str, probe: str, ready_timeout: float = 1800) -> object:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                if httpx.get(probe, timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(url: str, query: str, clients: int, seconds: float, max_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        with httpx.Client(timeout=300) as http:
            while time.monotonic() < stop:
                with lock:
                    if len(latencies) + errors >= max_requests:
                        return
                t0 = time.perf_counter()
                r = http.post(url, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
                dt = time.perf_counter() - t0
                with lock:
                    if r.status_code == 200:
                        latencies.append(dt)
                    else:
                        errors += 1

    warm = httpx.post(url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=600)
    rows = len(warm.json()["results"]["bindings"]) if warm.status_code == 200 else -1
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = sorted(latencies) or [float("nan")]
    return {
        "qps": len(latencies) / elapsed if elapsed else 0.0,
        "p50": statistics.median(lat) * 1000,
        "p95": lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000,
        "n": len(latencies),
        "errors": errors,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and query")
    parser.add_argument("--max-requests", type=int, default=2000, help="per endpoint and query")
    parser.add_argument("--workers", type=int, default=2, help="kg serve query workers")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="sdgkg-bench-"))
    import pyoxigraph as ox

    quads = generate(args.triples)
    ox.serialize(quads, str(work / "dataset.nq"), ox.RdfFormat.N_QUADS)
    union = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    ox.serialize(union, str(work / "union.nt"), ox.RdfFormat.N_TRIPLES)
    print(
        f"data: {len(quads)} quads ({len(union)} distinct triples), {args.clients} clients, "
        f"{args.seconds:g} s or {args.max_requests} requests per query",
        flush=True,
    )
    subprocess.run(
        [str(bin_dir / "oxigraph"), "load", "--location", str(work / "ox"), "--file", str(work / "union.nt")],
        check=True,
        capture_output=True,
    )
    endpoints = {}
    port = free_port()
    endpoints["kg serve"] = (
        [
            str(bin_dir / "kg"),
            "serve",
            "--build",
            str(work),
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--max-rows",
            "10000000",
        ],
        f"http://127.0.0.1:{port}/sparql",
    )
    port = free_port()
    endpoints["oxigraph serve"] = (
        [str(bin_dir / "oxigraph"), "serve-read-only", "--location", str(work / "ox"), "--bind", f"127.0.0.1:{port}"],
        f"http://127.0.0.1:{port}/query",
    )
    port = free_port()
    endpoints["rdflib-endpoint"] = (
        [str(bin_dir / "rdflib-endpoint"), "serve", str(work / "union.nt"), "--host", "127.0.0.1", "--port", str(port)],
        f"http://127.0.0.1:{port}/",
    )
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, (cmd, url) in endpoints.items():
        t0 = time.perf_counter()
        with server(cmd, url, url + "?query=ASK%7B%7D"):
            print(f"{name}: ready in {time.perf_counter() - t0:.1f} s", flush=True)
            results[name] = {
                q: measure(url, text, args.clients, args.seconds, args.max_requests) for q, text in QUERIES.items()
            }
    header = f"{'query':<16} {'endpoint':<16} {'q/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'rows':>6}"
    print("\n" + header + "\n" + "-" * len(header))
    for q in QUERIES:
        for name in endpoints:
            r = results[name][q]
            print(
                f"{q:<16} {name:<16} {r['qps']:>9.1f} {r['p50']:>9.1f} {r['p95']:>9.1f} {r['rows']:>6}"
                + (f"  ({r['errors']} errors)" if r["errors"] else "")
            )
    print("\nthroughput ratios (kg serve / other):")
    print(f"{'query':<16} {'vs rdflib-endpoint':>20} {'vs oxigraph serve':>20}")
    for q in QUERIES:
        ours = results["kg serve"][q]["qps"]
        rd, ox_ = results["rdflib-endpoint"][q]["qps"], results["oxigraph serve"][q]["qps"]
        vs_rd = f"{ours / rd:>19.1f}x" if rd else f"{'(none completed)':>20}"
        vs_ox = f"{ours / ox_:>19.2f}x" if ox_ else f"{'(none completed)':>20}"
        print(f"{q:<16} {vs_rd} {vs_ox}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
