"""SDG tagger against the SDG Classification Benchmark (PyPI sdgclassification-benchmark 1.0.0).

    python bench/sdg_eval.py [--threshold X] [--sdg N] [--errors dev]

1,251 expert-labelled snippets from the OSDG community dataset; each row asks "is SDG n in this
text?". Scored as the package scores it (its Result/ResultSet/Stats: accuracy, precision and
recall per SDG, then the unweighted mean over the 17 SDGs). The rules were tuned only on the dev
rows (id starting 0-7); the test rows (8-f) are reported, never looked at. ``--errors dev``
prints the dev rows the tagger gets wrong (the tuning loop); there is no ``--errors test``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Published averages on the same benchmark (accuracy %, all rows), from its README and paper.
ANCHORS = {
    "AFD SDG Prospector": 88,
    "GPT-4o": 87,
    "text2sdg": 83,
    "Aurora queries": 79,
    "JRC SDG Mapper": 77,
    "OSDG v1": 70,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, help="minimum confidence (default: the tagger's)")
    parser.add_argument("--errors", choices=["dev"], help="list the dev rows the tagger gets wrong")
    parser.add_argument("--sdg", type=int, help="only this SDG's rows when listing errors")
    args = parser.parse_args()
    try:
        from sdgclassification.benchmark.load_benchmark_df import load_benchmark_df
        from sdgclassification.benchmark.Result import Result
        from sdgclassification.benchmark.ResultSet import ResultSet
    except ImportError:
        sys.exit("bench/sdg_eval.py: sdgclassification-benchmark is missing; run `make bench-sdg`")

    from kg.enrich.sdg import default_tagger

    tagger = default_tagger()
    threshold = tagger.threshold if args.threshold is None else args.threshold
    rows = load_benchmark_df()
    sets = {"dev": ResultSet(), "test": ResultSet(), "all": ResultSet()}
    started = time.perf_counter()
    timings = []
    for row in rows.itertuples():
        t0 = time.perf_counter()
        goals = tagger.goals(row.text, threshold=threshold)
        timings.append(time.perf_counter() - t0)
        result = Result(id=row.id, text=row.text, sdg=int(row.sdg), expected_label=bool(row.label), predictions=goals)
        split = "dev" if row.id[0] in "01234567" else "test"
        sets[split].add(result)
        sets["all"].add(result)
        if args.errors == split and not result.is_correct and args.sdg in (None, result.sdg):
            kind = "missed" if result.expected_label else "false alarm"
            print(f"--- {row.id} SDG {row.sdg} {kind}; predicted {goals}")
            for s in tagger.suggest(row.text, threshold=0):
                if int(s.goal) == row.sdg or int(s.goal) in goals:
                    print(f"    {s.target} {s.confidence:.2f} {[e.phrases for e in s.evidence]}")
            print("   ", row.text[:600])
    elapsed = time.perf_counter() - started

    print(
        f"SDG Classification Benchmark 1.0.0, threshold {threshold}, {len(rows)} rows in {elapsed:.1f} s "
        f"(median {statistics.median(timings) * 1000:.2f} ms per text), {len(tagger.rules)} rules"
    )
    print(f"{'split':<6} {'rows':>5} {'accuracy %':>11} {'precision %':>12} {'recall %':>9} {'F1':>5}")
    for name, results in sets.items():
        if args.errors and name != "dev":
            continue
        avg = results.stats.average
        n = len(results.to_dataframe())
        print(f"{name:<6} {n:>5} {avg.accuracy:>11.1f} {avg.precision:>12.1f} {avg.recall:>9.1f} {avg.f1:>5.2f}")
    if args.errors:  # tuning: only dev figures, so that the test rows stay unseen
        print("\nper SDG (dev rows):")
        print(sets["dev"].stats.format("simple"))
        return
    print("\nper SDG (test rows):")
    print(sets["test"].stats.format("simple"))
    print("\npublished averages on the same benchmark (accuracy %, all rows):")
    for name, value in ANCHORS.items():
        print(f"  {name:<20} {value:>3}")
    print(f"  {'sdgkg (test rows)':<20} {sets['test'].stats.average.accuracy:>5.1f}")


if __name__ == "__main__":
    main()
