"""Build benchmark: seconds per stage and peak memory of `kg build` from 10^4 to 10^6 quads.

    python bench/build.py [--activities 0,250,2350,3100] [--repeat 3] [--stock-max 250]

For each size (the bundled pages plus N generated IATI activities, ``bench/iati_generate.py``),
each build runs in its own process (so peak RSS is the build's) ``--repeat`` times with the
fast engines; the stock pipeline (owlrl + pySHACL, the reference engines) runs at the sizes up
to ``--stock-max`` activities, once (it takes minutes). Prints medians per stage, wall time,
peak memory, and the stock/fast ratio measured in the same run.

Targets (issue 10): seed build <= 3 s; 10^6 quads <= 60 s and <= 4 GiB on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("parse", "map", "conflicts", "suggest", "load", "reason", "validate", "search", "write")


def child(source: str | None, reasoner: str, validator: str, out: Path) -> None:
    """Run one build in this process and print its figures as JSON."""
    sys.path.insert(0, str(ROOT))
    from kg.build import build
    from kg.ingest.sources import read_manifest, user_sources

    sources = read_manifest() + (user_sources([Path(source)]) if source else [])
    started = time.perf_counter()
    result = build(out, sources=sources, reasoner=reasoner, validator=validator, progress=lambda _m: None)
    wall = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the tagger's forked child and the dump writers: the largest of them, which runs beside the build
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"quads": result.quads, "wall": wall, "rss_mb": rss, "child_rss_mb": children,
                      "stages": result.seconds}))  # fmt: skip


def run(source: Path | None, engines: tuple[str, str], out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", str(source or ""), "--reasoner", engines[0], "--validator", engines[1]]
    started = time.perf_counter()
    done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"build failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process"] = time.perf_counter() - started  # includes interpreter start and imports
    return figures


def median_of(runs: list[dict]) -> dict:
    return {
        "quads": runs[0]["quads"],
        "wall": statistics.median(r["wall"] for r in runs),
        "process": statistics.median(r["process"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "child_rss_mb": max(r.get("child_rss_mb", 0.0) for r in runs),
        "stages": {s: statistics.median(r["stages"].get(s, 0.0) for r in runs) for s in STAGES},
        "runs": len(runs),
    }


def row(label: str, f: dict) -> str:
    stages = " | ".join(f"{f['stages'][s]:.1f}" for s in STAGES)
    totals = f"{f['wall']:.1f} | {f['process']:.1f} | {f['rss_mb']:,.0f} | {f['child_rss_mb']:,.0f} | {f['runs']}"
    return f"| {label} | {f['quads']:,} | {stages} | {totals} |"


def serve_and_publish(build_dir: Path) -> list[str]:
    """Start-up of `kg serve` on the on-disk store, worker RSS, and `kg publish` to Oxigraph server."""
    sys.path.insert(0, str(ROOT))
    import httpx

    from tests.conftest import free_port
    from tests.triplestores import oxigraph_server, virtuoso_server

    port = free_port()
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "kg.cli", "serve", "--build", str(build_dir), "--port", str(port),
           "--workers", "2", "--store-mode", "disk"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/sdgkg/ontology#Project> }"
    try:
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": query}, timeout=30)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 120:
                return ["- kg serve: no answer within 120 s"]
            time.sleep(0.1)
        first = time.perf_counter() - started
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        workers = [w for c in children for w in subprocess.run(["pgrep", "-P", c], capture_output=True,
                                                                text=True).stdout.split()]  # fmt: skip
        rss = [int(line.split()[1]) / 1024 for w in workers for line in open(f"/proc/{w}/status")
               if line.startswith("VmRSS:")]  # fmt: skip
        # PSS: pages shared with other processes (the page cache of the store, the fork server's
        # code) counted in shares, so the workers' PSS adds up to the memory they really take
        pss = [int(line.split()[1]) / 1024 for w in workers for line in open(f"/proc/{w}/smaps_rollup")
               if line.startswith("Pss:")]  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    shown = {name: ", ".join(f"{x:.0f}" for x in values) for name, values in (("rss", rss), ("pss", pss))}
    lines = [f"- `kg serve --store-mode disk --workers 2`: first query answered {first:.1f} s after start; "
             f"{len(rss)} worker process(es) (the workers are its threads) RSS {shown['rss']} MB, "
             f"PSS {shown['pss']} MB"]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sdgkg-bench-oxigraph-") as work, oxigraph_server(Path(work)) as url:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg.cli", "publish", "--to", url + "/store", "--build",
                               str(build_dir)], capture_output=True, text=True)  # fmt: skip
        took = time.perf_counter() - started
        lines.append(f"- `kg publish` to Oxigraph server on disk (one N-Quads PUT, its bulk loader): {took:.1f} s, "
                     f"exit {done.returncode}" + _same_answers(url + "/query", build_dir))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="sdgkg-bench-virtuoso-") as work, virtuoso_server(Path(work)) as url:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg.cli", "publish", "--to", url + "/sparql-graph-crud-auth",
                               "--build", str(build_dir), "--user", "dba", "--password", "dba", "--digest",
                               "--no-default-union"], capture_output=True, text=True)  # fmt: skip
        took = time.perf_counter() - started
        detail = done.stderr.strip().splitlines()[-1:] if done.returncode else []
        same = _same_answers(url + "/sparql", build_dir)
        lines.append(f"- `kg publish` to Virtuoso 7 (Graph Store PUTs, digest auth): {took:.1f} s, exit "
                     f"{done.returncode}{' ' + detail[0] if detail else ''}{same}")  # fmt: skip
    return lines


def _same_answers(endpoint: str, build_dir: Path) -> str:
    """Whether the remote store answers a few competency queries as the embedded store does."""
    import httpx

    from kg.store.client import query_local

    o = "https://w3id.org/sdgkg/ontology#"
    checks = {
        "quads in our graphs": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER(STRSTARTS(STR(?g), "https://w3id.org/sdgkg/")) }',  # Virtuoso keeps graphs of its own
        "projects": f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH ?g {{ ?p a <{o}Project> }} }}",
        "stated SDG links": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?p <{o}addressesSDG> ?t }} }}",
    }
    differ = []
    for name, sparql in checks.items():
        _media, body = query_local(build_dir, sparql, timeout=600)
        ours = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
        r = httpx.post(endpoint, data={"query": sparql}, headers={"Accept": "application/sparql-results+json"},
                       timeout=600)  # fmt: skip
        theirs = int(r.json()["results"]["bindings"][0]["n"]["value"]) if r.status_code == 200 else None
        if theirs != ours:
            differ.append(f"{name}: {theirs} there, {ours} here")
    return "; same counts (" + ", ".join(checks) + ")" if not differ else "; DIFFERENT: " + "; ".join(differ)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--activities", default="0,250,2350,3100", help="generated IATI activities per size (0 = seed only)"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--stock-max", type=int, default=250, help="largest size the stock pipeline is run at")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--reasoner", default="fast", help=argparse.SUPPRESS)
    ap.add_argument("--validator", default="fast", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        child(args.child or None, args.reasoner, args.validator, args.out)
        return
    sizes = [int(n) for n in args.activities.split(",")]
    columns = [*STAGES, "build s", "process s", "peak RSS MB", "largest child RSS MB", "runs"]
    header = "| pipeline | quads | " + " | ".join(columns) + " |"
    lines = [header, "|" + "---|" * (len(STAGES) + 7)]
    ratios = []
    with tempfile.TemporaryDirectory(prefix="sdgkg-bench-build-") as tmp:
        for n in sizes:
            source = None
            if n:
                source = Path(tmp) / f"iati-{n}.xml"
                generate = [sys.executable, str(ROOT / "bench" / "iati_generate.py"), "--activities", str(n)]
                subprocess.run([*generate, "--out", str(source)], check=True, capture_output=True)
            label = f"seed + {n} IATI activities" if n else "seed"
            print(f"{label}: fast engines x {args.repeat} ...", file=sys.stderr, flush=True)
            fast = median_of([run(source, ("fast", "fast"), Path(tmp) / "out") for _ in range(args.repeat)])
            lines.append(row(f"fast, {label}", fast))
            if n <= args.stock_max:
                print(f"{label}: stock owlrl + pySHACL x 1 ...", file=sys.stderr, flush=True)
                stock = median_of([run(source, ("owlrl", "pyshacl"), Path(tmp) / "out")])
                lines.append(row(f"stock, {label}", stock))
                ratio = stock["wall"] / fast["wall"]
                ratios.append(f"- {label} ({fast['quads']:,} quads): stock / fast = {ratio:.1f}x")
            print("\n".join(lines[-2:]), file=sys.stderr, flush=True)
        extra = serve_and_publish(Path(tmp) / "out") if sizes else []
    print("\n".join(lines))
    print(f"\nServing and publishing the largest build ({fast['quads']:,} quads):")
    print("\n".join(extra))
    print("\nStock pipeline (owlrl + pySHACL) against the fast one, same machine, same run:")
    print("\n".join(ratios))


if __name__ == "__main__":
    main()
