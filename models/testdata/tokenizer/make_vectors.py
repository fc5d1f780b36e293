#!/usr/bin/python3
"""Expected token ids for the Java tokenizer tests, from an independent encoder: models/bpe.py.

    /usr/bin/python3 models/testdata/tokenizer/make_vectors.py

For each bundled byte-level BPE tokenizer (models/<name>/tokenizer.json written by bpe.py) this
encodes a few code samples with bpe.py's own Python encoder and writes
engine/src/test/resources/tokenizer/<name>.ids.json: {"tokenizer": "models/<name>/tokenizer.json",
"samples": [{"text": ..., "ids": [...]}]}.  The samples are kept small (a few KB in all).
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "models"))
import bpe  # noqa: E402  (models/bpe.py)

SAMPLES = [
    "def mean(xs):\n    \"\"\"Average of xs.\"\"\"\n    if not xs:\n        return 0.0\n    return sum(xs) / len(xs)\n",
    "class Stack:\n\tdef __init__(self):\n\t\tself.items = []\n\n\n\tdef push(self, x):  # tabs, blank lines\n\t\tself.items.append(x)\n",
    "    x = {'a': [1, 2, 3], \"b\": (4.5e-3, 0x1F)}\n    print(f'{x!r:>20}')   \r\n",
    "import os, sys\nfrom collections import defaultdict\n\nPATH = os.environ.get('HOME', '/tmp')\n",
    "# naïve café — 日本語 😀\ns = \"über\"  ;; @@ ## $$ %% ^^ && ** (( )) [[ ]] {{ }}\n",
    "",
    " ",
    "\n\n\n\n",
]


def main():
    out_dir = ROOT / "engine/src/test/resources/tokenizer"
    out_dir.mkdir(parents=True, exist_ok=True)
    for tok_file in sorted((ROOT / "models").glob("*/tokenizer.json")):
        spec = json.loads(tok_file.read_text(encoding="utf-8"))
        tok = bpe.Tokenizer.load(tok_file)
        vocab = {k: v for k, v in spec["model"]["vocab"].items() if k not in (bpe.BOS, bpe.EOS)}
        assert tok.vocab == vocab, f"{tok_file}: not a bpe.py vocabulary"
        samples = [{"text": s, "ids": tok.encode(s)} for s in SAMPLES]
        for s in samples:
            assert tok.decode(s["ids"]) == s["text"]
        name = tok_file.parent.name
        rel = tok_file.relative_to(ROOT).as_posix()
        (out_dir / f"{name}.ids.json").write_text(json.dumps({"tokenizer": rel, "samples": samples}, ensure_ascii=False) + "\n")
        print(f"{name}: {sum(len(s['ids']) for s in samples)} ids")


if __name__ == "__main__":
    main()
