"""Mutation fuzz of the page loaders and the mapping: broken pages give clean errors, never a traceback.

Every bundled page is mutated at random (lines dropped, doubled, swapped or cut; labels glued,
misspelt or emptied; dates and amounts garbled; control characters, invalid UTF-8, NUL bytes,
very long lines) and run through its loader and the mapping. Each input must either load or
fail with a :class:`KgError` whose message starts with the file (and ``:line`` when the loader
knows it). ``make test`` runs ``FUZZ_INPUTS`` (default 600) inputs; ``make fuzz`` runs 12,000.
"""

import os
import random
from pathlib import Path

import pytest

from kg.errors import KgError, SourceError
from kg.graph.mapping import map_appearances
from kg.ingest.loaders import LOADERS
from kg.ingest.reference import bundled_reference
from kg.ingest.sources import read_manifest

INPUTS = int(os.environ.get("FUZZ_INPUTS", "600"))
SEED = int(os.environ.get("FUZZ_SEED", "20261124"))
LABELS = ["Time Frame:", "Proposed Budget:", "Focus Countries:", "Funding Source:", "Lead Division:",
          "Brief Description:", "Project Code:", "Main Expectations:", "SDG", "Status:"]
NOISE = ["\u2028", "\u0085", "\x0c", "\x1e", "\t", "\u00a0", "\ufeff", "\u202e", "&nbsp;", "br />", "<sup>",
         "US\\$", "**", "<u>", "…", "\r", "\x07", "🙂", "Ω" * 50]


def mutate(text: str, rng: random.Random) -> bytes:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(14)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            lines = [""]
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op == 4:
            lines.insert(i, rng.choice(LABELS) + rng.choice(["", " ", "x", " 2099-13-45 - 1999", " $-1e999",
                                                             " USD 12,34,5.6.7", " 20 January 2016 -", " ??"]))
        elif op == 5:
            lines[i] = lines[i].replace(":", "", 1)
        elif op == 6:
            lines[i] = lines[i].replace(": ", ":", 1)
        elif op == 7:
            pos = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:pos] + rng.choice(NOISE) + lines[i][pos:]
        elif op == 8:
            lines[i] = "x" * rng.choice([1000, 20000, 200000])
        elif op == 9:
            lines = lines[: rng.randrange(len(lines) + 1)]
        elif op == 10:
            lines[i] = "".join(rng.choice("0123456789-/.,$ ") for _ in range(rng.randrange(1, 30)))
        elif op == 11:
            lines[i] = lines[i].upper() if rng.random() < 0.5 else lines[i].lower()
        elif op == 12:
            lines.insert(i, "")
        else:
            lines[i] = lines[i].replace(str(rng.randrange(10)), str(rng.randrange(10)))
    data = "\n".join(lines).encode("utf-8")
    roll = rng.random()
    if roll < 0.02:
        pos = rng.randrange(len(data) + 1)
        data = data[:pos] + rng.choice([b"\xff\xfe", b"\xc3", b"\x80\x80", b"\x00"]) + data[pos:]
    elif roll < 0.03:
        data = b""
    return data


@pytest.fixture(scope="module")
def reference():
    return bundled_reference()


def test_mutated_pages_load_or_fail_with_file_and_line(tmp_path, reference):
    rng = random.Random(SEED)
    sources = read_manifest()
    texts = {s.path: s.path.read_text(encoding="utf-8") for s in sources}
    failures: list[str] = []
    outcomes = {"loaded": 0, "clean error": 0}
    for n in range(INPUTS):
        src = sources[n % len(sources)]
        path = tmp_path / f"{n:05d}_{src.path.name}"
        path.write_bytes(mutate(texts[src.path], rng))
        try:
            apps = LOADERS[src.loader](path, src.doc_id)
            map_appearances(apps, reference)
            outcomes["loaded"] += 1
        except SourceError as exc:
            if not str(exc).startswith(str(path)):
                failures.append(f"{path.name}: error does not name the file: {exc}")
            elif exc.line is not None and not str(exc).startswith(f"{path}:{exc.line}"):
                failures.append(f"{path.name}: error does not name the line: {exc}")
            outcomes["clean error"] += 1
        except KgError as exc:
            if str(path) not in str(exc) and path.name not in str(exc):
                failures.append(f"{path.name}: error does not name the file: {exc}")
            outcomes["clean error"] += 1
        except Exception as exc:  # noqa: BLE001 - what the fuzz is looking for
            failures.append(f"{path.name} ({src.loader}): {type(exc).__name__}: {exc}")
            Path(tmp_path / "failing").mkdir(exist_ok=True)
            path.rename(tmp_path / "failing" / path.name)
            continue
        path.unlink()
    assert not failures, f"{len(failures)} of {INPUTS} inputs (seed {SEED}) failed uncleanly:\n" + "\n".join(
        failures[:20]
    )
    assert outcomes["loaded"] > INPUTS // 3  # the mutations are small: most pages still load
