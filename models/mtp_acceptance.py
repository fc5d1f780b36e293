#!/usr/bin/python3
"""What self-speculative decoding should gain on a model, simulated with the PyTorch reference.

    /usr/bin/python3 models/mtp_acceptance.py models/code-mtp4 [--prompts 64] [--new 128]

For each held-out prompt (`heldout-prompts.jsonl` in the model folder): greedy-decode `--new` tokens
with head 1 (KV cache), then one forward over the whole sequence gives every head's argmax at every
position (heads are causal: their prediction at t only sees tokens up to t).  Replaying greedy
blockwise-parallel decoding on that sequence: at a verified position t, head k's argmax at t is the
draft for t+k; drafts are accepted while each equals the greedy token there; a forward then yields
1 + (accepted drafts) tokens.  The result is the acceptance the engine's MTP decoder should see on
the same prompts (its ids are the same greedy ids); the wall-clock speedup also depends on what a
k-row forward costs, which only `panamax bench mtp` measures.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panamax_ref.export import load_meta  # noqa: E402
from panamax_ref.model import Transformer, apply_rope, rope_angles  # noqa: E402


@torch.no_grad()
def greedy_cached(model: Transformer, prompt: list[int], n_new: int) -> list[int]:
    """Head-1 greedy decoding with a KV cache (the trunk blocks + head 1 = layers)."""
    a = model.args
    total = min(len(prompt) + n_new, a.max_seq_len)
    cos, sin = rope_angles(a, torch.arange(total), torch.float32)
    ks = [torch.zeros(total, a.n_kv_heads, a.head_dim) for _ in model.layers]
    vs = [torch.zeros(total, a.n_kv_heads, a.head_dim) for _ in model.layers]
    rep = a.n_heads // a.n_kv_heads
    ids = list(prompt)
    for pos in range(total - 1):
        x = model.tok_embeddings(torch.tensor([[ids[pos]]]))
        c, s = cos[pos:pos + 1], sin[pos:pos + 1]
        for i, blk in enumerate(model.layers):
            att = blk.attention
            h = blk.attention_norm(x)
            q = apply_rope(att.wq(h).view(1, 1, a.n_heads, a.head_dim), c, s, "meta")[0, 0]
            ks[i][pos] = apply_rope(att.wk(h).view(1, 1, a.n_kv_heads, a.head_dim), c, s, "meta")[0, 0]
            vs[i][pos] = att.wv(h).view(a.n_kv_heads, a.head_dim)
            k = ks[i][:pos + 1].repeat_interleave(rep, dim=1)
            v = vs[i][:pos + 1].repeat_interleave(rep, dim=1)
            w = F.softmax(torch.einsum("hd,thd->ht", q, k) / math.sqrt(a.head_dim), -1)
            x = x + att.wo(torch.einsum("ht,thd->hd", w, v).reshape(1, 1, -1))
            x = x + blk.feed_forward(blk.ffn_norm(x))
        if pos + 1 >= len(ids):
            ids.append(int(model.output(model.norm(x))[0, 0].argmax()))
    return ids


def replay(argmax: torch.Tensor, seq: list[int], start: int) -> tuple[int, int, list[int]]:
    """(forwards, tokens, accepted count per draft head) of greedy blockwise decoding from `start`."""
    n = argmax.shape[0]
    t, forwards, tokens, accepted = start, 0, 0, [0] * n
    while t + 1 < len(seq):
        got = 1                                   # head 1's token at t+1 is always right
        for k in range(2, n + 1):
            if t + k >= len(seq) or int(argmax[k - 1, t]) != seq[t + k]:
                break
            accepted[k - 1] += 1
            got += 1
        forwards += 1
        tokens += got
        t += got
    return forwards, tokens, accepted


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = load_meta(a.model, torch.float32)
    n = model.args.n_future_tokens
    lines = (a.model / "heldout-prompts.jsonl").read_text().splitlines()[: a.prompts]
    forwards = tokens = 0
    drafts_offered = 0
    accepted = [0] * n
    for line in lines:
        prompt = json.loads(line)["ids"]
        seq = greedy_cached(model, prompt, a.new)
        with torch.no_grad():
            argmax = model(torch.tensor([seq]))[:, 0].argmax(-1)            # [heads, T]
        f, tk, acc = replay(argmax, seq, len(prompt) - 1)
        forwards += f
        tokens += tk
        drafts_offered += f * (n - 1)
        accepted = [x + y for x, y in zip(accepted, acc)]
    out = {"model": a.model.name, "prompts": len(lines), "new_tokens": a.new, "forwards": forwards, "tokens": tokens,
           "tokens_per_forward": tokens / forwards, "acceptance_rate": sum(accepted) / drafts_offered,
           "accepted_by_head": {f"head{k + 1}": accepted[k] for k in range(1, n)}}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
