"""Full-text search at scale: /api/search's engine on a build of ~10^6 quads, against SPARQL text filters.

    python bench/search.py [--activities 3100] [--repeat 7]

Builds the bundled pages plus N generated IATI activities (``bench/iati_generate.py``; 3,100 give
~10^6 quads), then times each query of a mixed set (words, a code, a misspelt name, a facet filter,
an unfinished word) ``--repeat`` times through ``kg.enrich.search.Searcher`` (what ``/api/search``
runs per request, including opening the index), and the baseline a user has without the index:
the same words as a SPARQL ``FILTER(CONTAINS(LCASE(?text), …))`` over labels and descriptions on the
build's on-disk pyoxigraph store, measured in the same run. Prints medians and the ratio.

Target (issue 11): search answers in < 100 ms at 10^6 triples.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    ("words", "e-government services", {}),
    ("code", "1617B", {}),
    ("misspelt name", "Buthan", {}),
    ("facet filter", "governance", {"type": ["project"]}),
    ("unfinished word", "procure", {}),
]


def sparql_baseline(words: str) -> str:
    filters = " && ".join(f'CONTAINS(LCASE(?text), "{w.lower()}")' for w in words.split())
    return ("SELECT DISTINCT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label>|"
            "<http://purl.org/dc/terms/description> ?text FILTER(" + filters + ") }")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--activities", type=int, default=3100)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import pyoxigraph as ox

    from kg.build import build
    from kg.enrich.search import INDEX_FILE, Searcher
    from kg.ingest.sources import read_manifest, user_sources

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "generated.xml"
        subprocess.run([sys.executable, str(ROOT / "bench" / "iati_generate.py"), "--activities",
                        str(args.activities), "--out", str(source)], check=True)  # fmt: skip
        sources = read_manifest() + (user_sources([source]) if args.activities else [])
        result = build(Path(tmp) / "build", sources=sources, progress=lambda _m: None)
        index = result.out / INDEX_FILE
        print(
            f"build: {result.quads:,} quads; suggest {result.seconds.get('suggest', 0):.1f} s, search index "
            f"{result.seconds.get('search', 0):.1f} s; index {index.stat().st_size / 2**20:.1f} MiB"
        )
        store = ox.Store.read_only(str(result.out / "store"))
        print("| query | hits | search median ms | search max ms | SPARQL CONTAINS median ms | ratio |")
        print("|---|---|---|---|---|---|")
        for name, text, filters in QUERIES:
            times, hits = [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                searcher = Searcher(index)
                found = searcher.search(text, filters)
                searcher.close()
                times.append((time.perf_counter() - t0) * 1000)
                hits = found.total
            base = []
            for _ in range(min(args.repeat, 3)):
                t0 = time.perf_counter()
                list(store.query(sparql_baseline(text), use_default_graph_as_union=True))
                base.append((time.perf_counter() - t0) * 1000)
            s, b = statistics.median(times), statistics.median(base)
            print(f"| {name}: `{text}` | {hits} | {s:.1f} | {max(times):.1f} | {b:.0f} | {b / s:.0f}× |")


if __name__ == "__main__":
    main()
