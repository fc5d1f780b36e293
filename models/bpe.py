#!/usr/bin/python3
"""Byte-level BPE (GPT-2 style): train merges on a corpus, write a Hugging Face tokenizer.json.

    /usr/bin/python3 models/bpe.py --vocab-size 4096 --out /tmp/tokenizer.json FILE...

How it works: text is pre-split with the GPT-2 regex (words, numbers, punctuation runs, whitespace
runs), each piece becomes its UTF-8 bytes spelled with GPT-2's printable byte-to-unicode alphabet,
and we count how often each distinct piece occurs.  Training repeats: find the most frequent
adjacent symbol pair (weighted by piece counts), merge it everywhere.  Pair counts are kept in a
table and only the pieces containing the merged pair are updated, so each merge costs time
proportional to the pieces it touches, not to the corpus.

Ids: 0..255 the single bytes (in byte order), then one id per merge in the order learned, then the
special tokens <s> (BOS) and </s> (EOS) last.
"""
from __future__ import annotations

import argparse
import heapq
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

# GPT-2's pre-tokenizer pattern, with \p{L} written [^\W\d_] and \p{N} written \d for Python's re
# (identical on ASCII text, which is what we train on).
SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
BOS, EOS = "<s>", "</s>"


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable bytes stand for themselves, the rest are shifted to U+0100 and up."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


B2U = bytes_to_unicode()
U2B = {u: b for b, u in B2U.items()}


def pieces(text: str) -> list[str]:
    return [''.join(B2U[b] for b in m.encode("utf-8")) for m in SPLIT.findall(text)]


def train(texts, vocab_size: int, log_every: int = 500) -> list[tuple[str, str]]:
    n_merges = vocab_size - 256 - 2
    freq = Counter()
    for t in texts:
        freq.update(pieces(t))
    words = [list(w) for w in freq]
    counts = list(freq.values())
    pair_count: dict[tuple[str, str], int] = defaultdict(int)
    where: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pair_count[p] += counts[i]
            where[p].add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges, t0 = [], time.time()
    while len(merges) < n_merges and heap:
        c, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -c or c == 0:
            continue                      # a stale entry: the count changed since it was pushed
        merges.append(pair)
        a, b = pair
        ab = a + b
        touched = set()
        for i in list(where[pair]):
            w, n = words[i], counts[i]
            for p in zip(w, w[1:]):       # remove this piece's old pairs...
                pair_count[p] -= n
                touched.add(p)
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(ab)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):   # ...and add its new ones
                pair_count[p] += n
                where[p].add(i)
                touched.add(p)
        del pair_count[pair], where[pair]
        for p in touched:
            if p in pair_count and pair_count[p] > 0:
                heapq.heappush(heap, (-pair_count[p], p))
        if log_every and len(merges) % log_every == 0:
            print(f"  {len(merges)}/{n_merges} merges, last {ab!r} x{-c}, {time.time() - t0:.1f}s", flush=True)
    return merges


class Tokenizer:
    """Encoder/decoder for the vocabulary `train` builds (the same rules tokenizer.json states)."""

    def __init__(self, merges: list[tuple[str, str]]):
        self.merges = merges
        self.rank = {p: r for r, p in enumerate(merges)}
        self.vocab = {B2U[b]: b for b in range(256)}
        for a, b in merges:
            self.vocab.setdefault(a + b, len(self.vocab))
        self.bos = len(self.vocab)
        self.eos = self.bos + 1
        self.vocab_size = self.eos + 1
        self.inverse = {i: s for s, i in self.vocab.items()}
        self.cache: dict[str, list[int]] = {}

    def _word(self, w: str) -> list[int]:
        if w in self.cache:
            return self.cache[w]
        sym = list(w)
        while len(sym) > 1:
            best = min(((self.rank.get(p, 1 << 30), k) for k, p in enumerate(zip(sym, sym[1:]))))
            if best[0] == 1 << 30:
                break
            a, b = self.merges[best[0]]
            out, j = [], 0
            while j < len(sym):           # merge every occurrence of the best-ranked pair, left to right
                if j + 1 < len(sym) and sym[j] == a and sym[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(sym[j])
                    j += 1
            sym = out
        ids = [self.vocab[s] for s in sym]
        if len(self.cache) < 500_000:
            self.cache[w] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        return [i for w in pieces(text) for i in self._word(w)]

    def decode(self, ids: list[int]) -> str:
        s = "".join(self.inverse.get(i, "") for i in ids if i < self.bos)
        return bytes(U2B[c] for c in s).decode("utf-8", errors="replace")

    def to_json(self) -> dict:
        def special(i, content):
            return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                    "normalized": False, "special": True}
        vocab = dict(self.vocab)
        vocab[BOS], vocab[EOS] = self.bos, self.eos
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [special(self.bos, BOS), special(self.eos, EOS)],
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": None,
            "decoder": byte_level,
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "vocab": vocab, "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def save(self, path: Path):
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=None) + "\n", encoding="utf-8")

    @staticmethod
    def load(path: Path) -> "Tokenizer":
        j = json.loads(Path(path).read_text(encoding="utf-8"))
        return Tokenizer([tuple(m.split(" ")) for m in j["model"]["merges"]])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in a.files]
    tok = Tokenizer(train(texts, a.vocab_size))
    tok.save(a.out)
    print(f"wrote {a.out}: {tok.vocab_size} tokens")
