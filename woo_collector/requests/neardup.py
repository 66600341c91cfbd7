"""Near-duplicates (a Word and a PDF of the same text, a forward with one line added): flagged, never dropped."""

from __future__ import annotations

import re

from woo_collector.text import normalise_for_hash

THRESHOLD = 0.7  # exact Jaccard of word 4-shingles, checked on the LSH candidates
CONTAINED = 0.9  # or: the smaller text lies almost whole inside the larger (a forward with a line added)
SIZE_RATIO = 1.6
LSH_THRESHOLD = 0.4
NUM_PERM = 128


def shingles(text: str, k: int = 4) -> set[bytes]:
    words = normalise_for_hash(text).split()
    if len(words) < k:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + k]).encode() for i in range(len(words) - k + 1)}


_QUOTE_HEADERS = re.compile(r"^(-{3,}.*-{3,}|>.*)$", re.M)


def flag(texts: list[tuple[str, str]]) -> dict[str, str]:
    """{nr: nr of an earlier near-duplicate} for (nr, text) pairs given in number order."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    hashes: dict[str, tuple[MinHash, set]] = {}
    out: dict[str, str] = {}
    for nr, text in texts:
        sh = shingles(_QUOTE_HEADERS.sub(" ", text))
        if len(sh) < 3:
            continue
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch(list(sh))
        best, best_j = None, 0.0
        for cand in lsh.query(m):
            other = hashes[cand][1]
            common = len(sh & other)
            j = common / max(1, len(sh | other))
            small, large = sorted((len(sh), len(other)))
            if j < THRESHOLD and common / max(1, small) >= CONTAINED and large / max(1, small) <= SIZE_RATIO:
                j = THRESHOLD
            if j >= THRESHOLD and j > best_j:
                best, best_j = cand, j
        if best is not None:
            out[nr] = best
        lsh.insert(nr, m)
        hashes[nr] = (m, sh)
    return out
