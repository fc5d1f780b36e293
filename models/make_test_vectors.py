#!/usr/bin/python3
"""Small random models and the reference's outputs on them, for the engine's tests (no Python at test time).

    /usr/bin/python3 models/make_test_vectors.py                 # random models -> engine/src/test/resources/refmodels/
    /usr/bin/python3 models/make_test_vectors.py --bundled models/code-mtp4 --text "$(cat snippet.py)"
    /usr/bin/python3 models/make_test_vectors.py --bundled models/stories260K-mtp4 --ids 1,5,50 --prompt-ids 1,5

Each model folder gets `vectors.json` (bundled models: `text` and `text_ids` too, the tokenizer's encoding):
  input_ids      token ids fed from position 0
  logits         [head][position][vocab] (all heads; head h predicts the token at position + h + 1)
  logit_positions  the positions `logits` covers (every position for the small random models)
  argmax         [head][position] argmax ids at every position
  greedy         {prompt_ids, ids}: plain greedy decoding with head 1, generated ids only
  min_greedy_margin  the smallest top-1 minus top-2 logit gap met during greedy decoding
The reference computes in float64 from the stored weights (BF16 weights are widened exactly), so an
fp32 engine should agree within 1e-4.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

import bpe
from panamax_ref.export import export_hf, export_meta, load_hf, load_meta
from panamax_ref.model import ModelArgs, Transformer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "engine/src/test/resources/refmodels"


def randomize(model: Transformer, seed: int):
    """Weights scaled so logits spread over a few units: greedy ids then have clear margins."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:        # RMSNorm gains around 1
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name == "tok_embeddings.weight":
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / math.sqrt(p.shape[1])))


def _round(x: float, digits: int = 9) -> float:
    return float(f"{x:.{digits}g}")


@torch.no_grad()
def vectors(model: Transformer, rope: str, input_ids: list[int], prompt: list[int], n_new: int,
            positions: list[int] | None = None, digits: int = 9) -> dict:
    model = model.double().eval()
    logits = model(torch.tensor([input_ids]), rope)[:, 0]            # [heads, T, V]
    positions = positions if positions is not None else list(range(len(input_ids)))
    # greedy with head 1, tracking the narrowest top-1/top-2 gap (a test's robustness margin)
    ids, margin = list(prompt), float("inf")
    for _ in range(n_new):
        last = model(torch.tensor([ids]), rope, n_heads=1)[0, 0, -1]
        top = torch.topk(last, 2).values
        margin = min(margin, float(top[0] - top[1]))
        ids.append(int(last.argmax()))
    return {
        "n_heads": logits.shape[0],
        "vocab_size": logits.shape[2],
        "input_ids": input_ids,
        "logit_positions": positions,
        "logits": [[[_round(v, digits) for v in logits[h, p].tolist()] for p in positions] for h in range(logits.shape[0])],
        "argmax": logits.argmax(-1).tolist(),
        "greedy": {"prompt_ids": prompt, "ids": ids[len(prompt):]},
        "min_greedy_margin": margin,
    }


def write_vectors(folder: Path, v: dict, **extra):
    v = {**extra, **v}
    (folder / "vectors.json").write_text(json.dumps(v, separators=(",", ":")) + "\n")
    print(f"{folder}: heads={v['n_heads']} vocab={v['vocab_size']} margin={v['min_greedy_margin']:.4f}")


def random_models():
    g = torch.Generator().manual_seed(1234)
    specs = [
        # name, layout, dtype, args, tie
        ("meta-ntp-f32", "meta", "F32", ModelArgs(dim=32, n_layers=3, n_heads=4, n_kv_heads=2, vocab_size=96,
                                                  multiple_of=16, max_seq_len=64, n_future_tokens=1), False),
        ("meta-mtp3-f32", "meta", "F32", ModelArgs(dim=32, n_layers=5, n_heads=4, n_kv_heads=1, vocab_size=80,
                                                   multiple_of=8, ffn_dim_multiplier=1.3, rope_theta=500000.0,
                                                   norm_eps=1e-6, max_seq_len=64, n_future_tokens=3), False),
        ("meta-mtp4-bf16", "meta", "BF16", ModelArgs(dim=32, n_layers=5, n_heads=2, n_kv_heads=2, vocab_size=64,
                                                     multiple_of=32, max_seq_len=48, n_future_tokens=4), False),
        ("hf-tied-f32", "hf", "F32", ModelArgs(dim=32, n_layers=3, n_heads=4, n_kv_heads=2, vocab_size=96,
                                               multiple_of=32, max_seq_len=64, rope_theta=10000.0), True),
        ("hf-f32", "hf", "F32", ModelArgs(dim=48, n_layers=2, n_heads=6, n_kv_heads=3, vocab_size=72,
                                          multiple_of=32, max_seq_len=64, norm_eps=1e-6, rope_theta=100000.0), False),
    ]
    for i, (name, layout, dtype, args, tie) in enumerate(specs):
        torch.manual_seed(100 + i)
        model = Transformer(args)
        randomize(model, seed=200 + i)
        if tie:
            with torch.no_grad():
                model.output.weight.copy_(model.tok_embeddings.weight * (1.0 / math.sqrt(args.dim)))
                model.tok_embeddings.weight.copy_(model.output.weight)
        folder = OUT / name
        if layout == "meta":
            export_meta(model, folder, dtype)
            stored, rope = load_meta(folder), "meta"
        else:
            export_hf(model, folder, dtype, tie_embeddings=tie)
            stored, rope = load_hf(folder), "half"
            # The permuted HF weights with half-split RoPE must equal the Meta forward: checks the permutation.
            ids = torch.randint(0, args.vocab_size, (1, 20), generator=g)
            with torch.no_grad():
                diff = (stored(ids, "half") - model.double()(ids, "meta")).abs().max()
            assert diff < 1e-9, f"HF permutation broken: {diff}"
        ids = torch.randint(0, args.vocab_size, (16,), generator=g).tolist()
        prompt = torch.randint(0, args.vocab_size, (5,), generator=g).tolist()
        v = vectors(stored, rope, ids, prompt, n_new=24)
        write_vectors(folder, v, model=name, layout=layout, dtype=dtype, tolerance=1e-4)


def bundled(folder: Path, ids: list[int], prompt: list[int], n_new: int, text: str | None = None):
    """Vectors for a trained model: logits of every head at a few positions, argmax everywhere, greedy ids.
    With `text`, ids and prompt come from the folder's tokenizer.json (and the encoding is recorded,
    so the engine's tokenizer can be checked against it too)."""
    folder = Path(folder)
    model = load_meta(folder)
    extra = {}
    if text is not None:
        tok = bpe.Tokenizer.load(folder / "tokenizer.json")
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        prompt = ids[: max(4, len(ids) // 3)]
        extra = {"text": text, "text_ids": ids}
    T = len(ids)
    positions = sorted({T // 2, T - 1})       # full-vocabulary logits at two positions keep the file small
    v = vectors(model, "meta", ids, prompt, n_new, positions, digits=7)
    write_vectors(folder, v, model=folder.name, layout="meta", tolerance=1e-4, **extra)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundled", type=Path, help="a trained model folder (Meta layout) to make vectors for")
    ap.add_argument("--ids", type=str, help="comma-separated input ids (bundled); default: from the tokenizer-free seed")
    ap.add_argument("--prompt-ids", type=str, help="comma-separated greedy prompt ids (bundled)")
    ap.add_argument("--text", type=str, help="text to encode with the folder's tokenizer.json (bundled)")
    ap.add_argument("--new", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.bundled:
        if a.text is not None:
            bundled(a.bundled, [], [], a.new, a.text)
        else:
            bundled(a.bundled, [int(x) for x in a.ids.split(",")], [int(x) for x in a.prompt_ids.split(",")], a.new)
    else:
        random_models()
