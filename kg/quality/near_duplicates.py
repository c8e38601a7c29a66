"""Near-duplicate texts across records, whatever their metadata: word shingles, MinHash and LSH.

The copy rule of shapes/rules.ttl needs identical time frame, funding and budget; text pasted
between projects with different metadata passed unseen (issue 13). Each text field of at least
``MIN_WORDS`` words becomes a set of 5-word shingles; 128 MinHash values estimate the Jaccard
similarity; 32 bands of 4 rows find the candidate pairs in linear time (a million-triple IATI file
has tens of thousands of texts), and the exact Jaccard of each candidate decides.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

SHINGLE = 5
MIN_WORDS = 12
THRESHOLD = 0.6  # Jaccard of the shingle sets
PERMUTATIONS, BANDS = 128, 32
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261124)  # fixed: the same pairs on every build
_A = _rng.integers(1, 1 << 32, PERMUTATIONS, dtype=np.uint64)  # 32-bit a, b and x: a*x + b fits 64 bits
_B = _rng.integers(0, 1 << 32, PERMUTATIONS, dtype=np.uint64)
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class NearDuplicate:
    """Two fields of different records whose texts are nearly the same."""

    left: tuple[str, str]  # (record, field IRI)
    right: tuple[str, str]
    similarity: float


def shingles(text: str) -> set[int]:
    """The text's 5-word shingles as 60-bit hashes (case and punctuation ignored)."""
    words = _WORDS.findall(text.lower())
    grams = {" ".join(words[i : i + SHINGLE]) for i in range(max(len(words) - SHINGLE + 1, 1))}
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big") >> 4 for g in grams}


def _signature(hashes: set[int]) -> np.ndarray:
    x = np.fromiter(hashes, dtype=np.uint64, count=len(hashes))[:, None]
    x = (x ^ (x >> np.uint64(32))) & np.uint64((1 << 32) - 1)  # fold to 32 bits (a collision only adds a candidate)
    return ((_A[None, :] * x + _B[None, :]) % np.uint64(_PRIME)).min(axis=0)


def find_near_duplicates(fields: Iterable[tuple[str, str, str]], threshold: float = THRESHOLD) -> list[NearDuplicate]:
    """Pairs of records whose ``(record, field IRI, text)`` fields reach shingle Jaccard >= ``threshold``.

    One pair per two records, with their most similar fields.
    """
    items = [(r, f, shingles(t)) for r, f, t in fields if len(t.split()) >= MIN_WORDS]
    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i, (_, _, sh) in enumerate(items):
        sig = _signature(sh)
        for band in range(BANDS):
            buckets[(band, sig[band * rows : (band + 1) * rows].tobytes())].append(i)
    candidates = {(a, b) for members in buckets.values() for a in members for b in members if a < b}
    found = []
    for a, b in sorted(candidates):
        (ra, fa, sa), (rb, fb, sb) = items[a], items[b]
        if ra == rb:
            continue  # the same record in two sources is the conflicts' business
        jaccard = len(sa & sb) / len(sa | sb)
        if jaccard >= threshold:
            found.append(NearDuplicate(min((ra, fa), (rb, fb)), max((ra, fa), (rb, fb)), round(jaccard, 3)))
    best: dict[tuple[str, str], NearDuplicate] = {}  # one finding per pair of records: their most similar fields
    for d in found:
        key = (d.left[0], d.right[0])
        if key not in best or (d.similarity, d.left, d.right) > (best[key].similarity, best[key].left, best[key].right):
            best[key] = d
    return sorted(best.values(), key=lambda d: (d.left, d.right))
