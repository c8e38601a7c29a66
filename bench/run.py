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


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs."""
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def write_build(work: Path, quads: list) -> set:
    """A build directory ``kg serve`` accepts: dataset.nq sealed by its summary, and the on-disk
    store (named graphs + their union in the default graph) that large builds are served from."""
    import pyoxigraph as ox

    from kg.build import seal
    from kg.store.dataset import STORE_DIR

    quads = list(dict.fromkeys(quads))  # the store holds each quad once; the summary counts them so
    ox.serialize(quads, str(work / "dataset.nq"), ox.RdfFormat.N_QUADS)
    union = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    ox.serialize(union, str(work / "union.nt"), ox.RdfFormat.N_TRIPLES)
    store = ox.Store(str(work / STORE_DIR))
    store.bulk_load(path=str(work / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    store.bulk_load(path=str(work / "union.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    count = len(store)
    del store
    seal(work, {"quads": len(quads), "store": {"directory": STORE_DIR, "quads": count}})
    return union


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and query")
    parser.add_argument("--max-requests", type=int, default=2000, help="per endpoint and query")
    parser.add_argument("--workers", type=int, default=None, help="kg serve query workers [its default, 4]")
    parser.add_argument(
        "--store-modes",
        default="memory,disk",
        help="kg serve store modes to measure, comma-separated (memory, disk, auto) [memory,disk]",
    )
    parser.add_argument("--baselines", default="oxigraph,rdflib", help="baselines to measure [oxigraph,rdflib]")
    parser.add_argument("--repeat", type=int, default=1, help="runs per endpoint and query (medians printed)")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="sdgkg-bench-"))

    quads = generate(args.triples)
    union = write_build(work, quads)
    print(
        f"data: {len(set(quads))} quads ({len(union)} distinct triples), {args.clients} clients, "
        f"{args.seconds:g} s or {args.max_requests} requests per query, {args.repeat} run(s)",
        flush=True,
    )
    subprocess.run(
        [str(bin_dir / "oxigraph"), "load", "--location", str(work / "ox"), "--file", str(work / "union.nt")],
        check=True,
        capture_output=True,
    )
    endpoints = {}
    for mode in [m.strip() for m in args.store_modes.split(",") if m.strip()]:
        port = free_port()
        endpoints[f"kg serve {mode}"] = (
            [str(bin_dir / "kg"), "serve", "--build", str(work), "--port", str(port)]
            + (["--workers", str(args.workers)] if args.workers else [])
            + ["--max-rows", "10000000", "--store-mode", mode],
            f"http://127.0.0.1:{port}/sparql",
        )
    baselines = [b.strip() for b in args.baselines.split(",") if b.strip()]
    if "oxigraph" in baselines:
        port = free_port()
        endpoints["oxigraph serve"] = (
            [str(bin_dir / "oxigraph"), "serve-read-only", "--location", str(work / "ox")]
            + ["--bind", f"127.0.0.1:{port}"],
            f"http://127.0.0.1:{port}/query",
        )
    if "rdflib" in baselines:
        port = free_port()
        endpoints["rdflib-endpoint"] = (
            [str(bin_dir / "rdflib-endpoint"), "serve", str(work / "union.nt"), "--host", "127.0.0.1"]
            + ["--port", str(port)],
            f"http://127.0.0.1:{port}/",
        )
    runs: dict[str, dict[str, list[dict[str, float]]]] = {name: {q: [] for q in QUERIES} for name in endpoints}
    for run in range(args.repeat):
        for name, (cmd, url) in endpoints.items():
            t0 = time.perf_counter()
            with server(cmd, url, url + "?query=ASK%7B%7D"):
                print(f"run {run + 1}: {name} ready in {time.perf_counter() - t0:.1f} s", flush=True)
                for q, text in QUERIES.items():
                    runs[name][q].append(measure(url, text, args.clients, args.seconds, args.max_requests))
    results = {name: {q: _median(rs) for q, rs in per.items()} for name, per in runs.items()}
    header = f"{'query':<16} {'endpoint':<16} {'q/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'rows':>6}  runs (q/s)"
    print("\n" + header + "\n" + "-" * len(header))
    for q in QUERIES:
        for name in endpoints:
            r = results[name][q]
            each = ", ".join(f"{x['qps']:.1f}" for x in runs[name][q])
            print(
                f"{q:<16} {name:<16} {r['qps']:>9.1f} {r['p50']:>9.1f} {r['p95']:>9.1f} {r['rows']:>6}  {each}"
                + (f"  ({r['errors']} errors)" if r["errors"] else "")
            )
    ours = [name for name in endpoints if name.startswith("kg serve")]
    others = [name for name in endpoints if name not in ours]
    print("\nthroughput ratios (kg serve / other, medians):")
    print(f"{'query':<16} {'kg serve':<16} " + " ".join(f"{'vs ' + o:>20}" for o in others))
    for q in QUERIES:
        for name in ours:
            mine = results[name][q]["qps"]
            cells = []
            for other in others:
                theirs = results[other][q]["qps"]
                cells.append(f"{mine / theirs:>19.2f}x" if theirs else f"{'(none completed)':>20}")
            print(f"{q:<16} {name[9:]:<16} " + " ".join(cells))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
