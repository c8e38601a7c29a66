"""Load test: 50 clients x 60 s of mixed requests against `kg serve`, without and with runaway clients.

    python bench/load.py [--clients 50] [--seconds 60] [--runaways 4] [--build DIR]

Request mix per client, in turn: a cheap SELECT, a library query over the REST API, a resource
page (HTML) and a CONSTRUCT. Runaway clients loop a cartesian-product query with
``timeout=10``. Prints, for each phase (the named baseline is the same server without
runaways, measured in the same run): throughput, p50/p95/p99 latency per request class, and
answers by status; for the runaways, how long each took to be stopped.

Goal (issue 14): 0 x 5xx for the normal clients; p95 <= 1 s for cheap requests even while the
runaways hold workers; a runaway stopped within its timeout + 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.conftest import free_port, running  # noqa: E402

P = "PREFIX sdgkg: <https://w3id.org/sdgkg/ontology#> PREFIX dct: <http://purl.org/dc/terms/> "
MIX = [
    ("cheap SELECT", "GET", "/sparql", {"query": P + "SELECT ?p ?t { ?p a sdgkg:Project ; dct:title ?t } LIMIT 10"}),
    ("library query", "GET", "/api/queries/projects-by-country", {}),
    ("resource page", "GET", "/project/1617b", {}),
    ("CONSTRUCT", "GET", "/sparql", {"query": P + "CONSTRUCT { ?p dct:title ?t } WHERE { ?p dct:title ?t }"}),
]
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_TIMEOUT = 10.0


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def client(http: httpx.AsyncClient, base: str, until: float, offset: int, log: list) -> None:
    i = offset
    while time.monotonic() < until:
        name, method, path, params = MIX[i % len(MIX)]
        i += 1
        headers = {"Accept": "text/html"} if name == "resource page" else {}
        started = time.monotonic()
        try:
            r = await http.request(method, base + path, params=params, headers=headers, timeout=60)
            status = r.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        log.append((name, status, time.monotonic() - started))


async def runaway(http: httpx.AsyncClient, base: str, until: float, log: list) -> None:
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            r = await http.get(base + "/sparql", params={"query": RUNAWAY, "timeout": str(RUNAWAY_TIMEOUT)}, timeout=60)
            status = r.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        log.append(("runaway", status, time.monotonic() - started))
        if status == 503:  # a SPARQL client that honours Retry-After
            await asyncio.sleep(float(r.headers.get("Retry-After", "2")))


async def phase(base: str, clients: int, seconds: float, runaways: int) -> tuple[list, float]:
    log: list = []
    limits = httpx.Limits(max_connections=clients + runaways + 4, max_keepalive_connections=clients + runaways)
    async with httpx.AsyncClient(limits=limits) as http:
        started = time.monotonic()
        until = started + seconds
        tasks = [client(http, base, until, n, log) for n in range(clients)]
        tasks += [runaway(http, base, until, log) for _ in range(runaways)]
        await asyncio.gather(*tasks)
        return log, time.monotonic() - started


def report(title: str, log: list, elapsed: float) -> dict[str, float]:
    print(f"\n## {title} ({elapsed:.0f} s)\n")
    print("| class | requests | req/s | p50 ms | p95 ms | p99 ms | statuses |")
    print("|---|---|---|---|---|---|---|")
    by_class: dict[str, list] = defaultdict(list)
    for name, status, seconds in log:
        by_class[name].append((status, seconds))
    figures = {}
    for name in [m[0] for m in MIX] + ["runaway"]:
        rows = by_class.get(name)
        if not rows:
            continue
        lat = [s for _, s in rows]
        statuses = Counter(str(st) for st, _ in rows)
        print(
            f"| {name} | {len(rows)} | {len(rows) / elapsed:.1f} | {pct(lat, 50) * 1000:.0f} | "
            f"{pct(lat, 95) * 1000:.0f} | {pct(lat, 99) * 1000:.0f} | "
            + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
            + " |"
        )
        figures[name] = pct(lat, 95)
    normal = [(st, s) for name, st, s in log if name != "runaway"]
    errors = Counter(str(st) for st, _ in normal if not (isinstance(st, int) and st < 500))
    print(
        f"\nnormal clients: {len(normal) / elapsed:.1f} req/s, 5xx or transport errors: "
        + (", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "none")
    )
    stops = [s for name, st, s in log if name == "runaway" and st in (503, 504)]
    if stops:
        print(
            f"runaways stopped: {len(stops)}, slowest stop {max(stops):.2f} s "
            f"(timeout {RUNAWAY_TIMEOUT:g} s; median {statistics.median(stops):.2f} s)"
        )
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--runaways", type=int, default=4)
    ap.add_argument("--build", type=Path, default=None, help="a build to serve (default: build the bundled KG)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build = args.build
        if build is None:
            build = Path(tmp) / "build"
            print("building the bundled KG …", file=sys.stderr)
            subprocess.run(
                [sys.executable, "-m", "kg.cli", "build", "--out", str(build)], check=True, capture_output=True
            )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        args_ = [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--build", str(build)]
        with running(args_, base + "/"):
            print(f"# bench-load: {args.clients} clients x {args.seconds:g} s, kg serve defaults (3 workers)")
            log, elapsed = asyncio.run(phase(base, args.clients, args.seconds, 0))
            baseline = report("baseline: no runaway clients", log, elapsed)
            log, elapsed = asyncio.run(phase(base, args.clients, args.seconds, args.runaways))
            loaded = report(f"with {args.runaways} runaway clients", log, elapsed)
            print("\n| class | p95 ratio with runaways / baseline |\n|---|---|")
            for name in baseline:
                if name in loaded:
                    print(f"| {name} | {loaded[name] / baseline[name]:.2f}x |")


if __name__ == "__main__":
    main()
