"""Realistic IATI 2.03 activity files of any size, for the million-triple benchmarks (issue 10).

    python bench/iati_generate.py --activities 12000 --out big.xml [--seed 1] [--check]

Each activity has a reporting organisation and 2–4 participating organisations in roles 1–4
(from a pool of publishers, some sharing identifiers so the graph joins up), 1–3 recipient
countries with shares adding up to 100, sometimes a region, 1–3 DAC sectors adding up to 100
plus SDG sectors, SDG goal and target tags, 1–4 yearly budgets, 2–6 transactions (some naming
another generated activity as provider: funding chains), related activities, a result with SDG
indicator references, and planned and actual dates. The file is written streaming, so memory
stays flat; ``--check`` validates it against the bundled 2.03 XSD (reading it whole).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "kg" / "sources" / "reference"
WORDS = (
    "capacity governance digital public institutions data statistics resilience climate water health "
    "education gender procurement transparency accountability parliament local services innovation "
    "e-government cybersecurity inclusion youth training policy monitoring evaluation partnership"
).split()
DAC_SECTORS = ["15110", "15111", "15112", "15113", "15130", "15150", "15151", "15153", "16062", "22040", "43082"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "SEK"]


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _shares(rng: random.Random, n: int) -> list[int]:
    """n integer percentages adding up to 100."""
    if n == 1:
        return [100]
    cuts = sorted(rng.sample(range(1, 100), n - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def activity(
    rng: random.Random,
    n: int,
    total: int,
    countries: list[str],
    targets: list[tuple[str, str]],
    indicators: list[str],
    publishers: list[str],
) -> str:
    """One iati-activity element, in the 2.03 schema's order."""
    rep = publishers[n % len(publishers)]
    ident = f"{rep}-A{n:07d}"
    start_year = rng.randint(2012, 2022)
    years = rng.randint(1, 4)
    currency = rng.choice(CURRENCIES)
    out = [f'<iati-activity xml:lang="en" default-currency="{currency}" last-updated-datetime="2026-01-01T00:00:00Z">']
    out.append(f"<iati-identifier>{ident}</iati-identifier>")
    out.append(f'<reporting-org ref="{rep}" type="10"><narrative>Publisher {rep}</narrative></reporting-org>')
    out.append(f"<title><narrative>{escape(_text(rng, 6))}</narrative></title>")
    out.append(f'<description type="1"><narrative>{escape(_text(rng, 40))}</narrative></description>')
    roles = rng.sample(["1", "2", "3", "4"], rng.randint(2, 4))
    for role in sorted(roles):
        org = rep if role in ("2", "3") else rng.choice(publishers)
        out.append(
            f'<participating-org ref="{org}" role="{role}" type="10"><narrative>Organisation {org}</narrative>'
            "</participating-org>"
        )
    out.append(f'<activity-status code="{2 if start_year + years > 2025 else 4}"/>')
    out.append(f'<activity-date iso-date="{start_year}-01-01" type="1"/>')
    out.append(f'<activity-date iso-date="{start_year}-02-01" type="2"/>')
    out.append(f'<activity-date iso-date="{start_year + years}-12-31" type="3"/>')
    chosen = rng.sample(countries, rng.randint(1, 3))
    for code, share in zip(chosen, _shares(rng, len(chosen)), strict=True):
        out.append(f'<recipient-country code="{code}" percentage="{share}"/>')
    sectors = rng.sample(DAC_SECTORS, rng.randint(1, 3))
    for code, share in zip(sectors, _shares(rng, len(sectors)), strict=True):
        out.append(f'<sector vocabulary="1" code="{code}" percentage="{share}"/>')
    sdg_targets = rng.sample(targets, rng.randint(1, 3))
    goals = sorted({g for _t, g in sdg_targets}, key=int)
    for g, share in zip(goals, _shares(rng, len(goals)), strict=True):
        out.append(f'<sector vocabulary="7" code="{g}" percentage="{share}"/>')
    for g in goals:
        out.append(f'<tag vocabulary="2" code="{g}"/>')
    for t, _g in sdg_targets:
        out.append(f'<tag vocabulary="3" code="{t}"/>')
    out.append(f'<policy-marker vocabulary="1" code="{rng.randint(1, 9)}" significance="{rng.randint(0, 3)}"/>')
    for y in range(years):
        amount = rng.randint(10, 5000) * 1000
        out.append(
            f'<budget type="1" status="{rng.choice("12")}"><period-start iso-date="{start_year + y}-01-01"/>'
            f'<period-end iso-date="{start_year + y}-12-31"/>'
            f'<value currency="{currency}" value-date="{start_year + y}-01-01">{amount}</value></budget>'
        )
    for k in range(rng.randint(2, 6)):
        ttype = "1" if k == 0 else rng.choice(["2", "3", "4"])
        year = start_year + min(k, years)
        provider = ""
        if ttype == "1" and n > 0:
            other = rng.randrange(max(1, n))
            provider = (
                f'<provider-org ref="{publishers[other % len(publishers)]}" '
                f'provider-activity-id="{publishers[other % len(publishers)]}-A{other:07d}">'
                "<narrative>Funder</narrative></provider-org>"
            )
        receiver = f'<receiver-org ref="{rng.choice(publishers)}"><narrative>Recipient</narrative></receiver-org>'
        out.append(
            f'<transaction ref="{ident}-T{k}"><transaction-type code="{ttype}"/>'
            f'<transaction-date iso-date="{year}-06-30"/>'
            f'<value value-date="{year}-06-30">{rng.randint(1, 900) * 1000}</value>'
            f"{provider}{receiver}</transaction>"
        )
    if n > 0 and rng.random() < 0.3:
        parent = rng.randrange(n)
        out.append(f'<related-activity ref="{publishers[parent % len(publishers)]}-A{parent:07d}" type="1"/>')
    out.append('<result type="1"><title><narrative>Results</narrative></title>')
    for code in rng.sample(indicators, rng.randint(1, 2)):
        out.append(
            f'<indicator measure="5"><title><narrative>SDG indicator {code}</narrative></title>'
            f"<reference vocabulary={quoteattr('9')} code={quoteattr(code)}/></indicator>"
        )
    out.append("</result></iati-activity>")
    return "".join(out)


def generate(n: int, out: Path, seed: int = 1) -> None:
    """Write ``n`` activities to ``out``."""
    rng = random.Random(seed)
    countries = [r["iso2"] for r in _rows("countries.csv") if r["iso2"] and r["in_unsd_m49"] == "true"]
    targets = [(r["target"], r["goal"]) for r in _rows("sdg_targets.csv")]
    indicators = [r["indicator"] for r in _rows("sdg_indicators.csv")]
    publishers = [f"XI-GEN-{k:03d}" for k in range(max(5, n // 200))]
    with open(out, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        handle.write('<iati-activities version="2.03" generated-datetime="2026-01-01T00:00:00Z">\n')
        for k in range(n):
            handle.write(activity(rng, k, n, countries, targets, indicators, publishers) + "\n")
            if n >= 1000 and (k + 1) % (n // 10) == 0:
                print(f"  {k + 1}/{n} activities", file=sys.stderr, flush=True)
        handle.write("</iati-activities>\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--activities", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", action="store_true", help="validate the file against the 2.03 XSD")
    args = ap.parse_args()
    generate(args.activities, args.out, args.seed)
    if args.check:
        from lxml import etree

        sys.path.insert(0, str(ROOT))
        from kg.ingest.loaders.iati import schema

        xsd = schema()
        ok = xsd.validate(etree.parse(str(args.out)))
        print("valid against the IATI 2.03 schema" if ok else f"INVALID: {xsd.error_log[0]}")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
