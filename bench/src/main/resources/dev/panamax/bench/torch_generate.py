#!/usr/bin/env python3
"""Greedy decoding in PyTorch eager, the comparison run of `panamax bench generate`.

Loads a model the bench wrote (a llama2.c .bin, or a Meta folder: params.json + model.safetensors in
F32 or BF16), reads the prompt ids, decodes greedily with a KV cache, one token per forward, and
prints one JSON line: {"tokens_per_second", "ids", "torch", "threads", "dtype"}. Weights stay in
their stored dtype (BF16 matmuls for BF16 files). The timing covers the decoding steps after the
prompt, best of --repeats runs after a warm-up, as the Java side measures.
"""
import argparse
import json
import math
import struct
import sys
import time
from pathlib import Path

# `panamax bench generate` runs this script with OMP_WAIT_POLICY=ACTIVE and =PASSIVE and keeps the
# faster run: neither libgomp setting (nor its default) is PyTorch's best everywhere.

import numpy as np
import torch
import torch.nn.functional as F


def load_llama2c(path: Path):
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack("<7i", bytes(raw[:28]))
    shared = vocab > 0
    vocab = abs(vocab)
    floats = np.frombuffer(raw, dtype="<f4", offset=28)
    hs = dim // heads
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        t = torch.from_numpy(np.array(floats[pos:pos + n]).reshape(shape))
        pos += n
        return t

    emb = take(vocab, dim)
    names = [("attention_norm", (dim,)), ("wq", (dim, dim)), ("wk", (kv_heads * hs, dim)), ("wv", (kv_heads * hs, dim)),
             ("wo", (dim, dim)), ("ffn_norm", (dim,)), ("w1", (hidden, dim)), ("w2", (dim, hidden)), ("w3", (hidden, dim))]
    per = {n: [take(*s) for _ in range(layers)] for n, s in names}
    norm = take(dim)
    pos += seq * hs  # the two RoPE tables llama2.c stores, unused
    out = emb if shared else take(vocab, dim)
    blocks = [{n: per[n][i] for n, _ in names} for i in range(layers)]
    cfg = dict(dim=dim, heads=heads, kv_heads=kv_heads, vocab=vocab, seq=seq, eps=1e-5, theta=10000.0)
    return cfg, emb, blocks, norm, out, "F32"


def load_safetensors(path: Path):
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    n = struct.unpack("<Q", bytes(raw[:8]))[0]
    header = json.loads(bytes(raw[8:8 + n]))
    base = 8 + n
    tensors, dtypes = {}, set()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = np.array(raw[base + a:base + b])
        if info["dtype"] == "F32":
            t = torch.from_numpy(buf.view("<f4").copy())
        elif info["dtype"] == "BF16":
            t = torch.from_numpy(buf.view("<i2").copy()).view(torch.bfloat16)
        else:
            raise SystemExit(f"{path}: tensor {name}: dtype {info['dtype']} not handled by this script")
        if name.endswith("norm.weight"):
            t = t.float()
        else:
            dtypes.add(info["dtype"])
        tensors[name] = t.reshape(info["shape"])
    return tensors, ",".join(sorted(dtypes))


def load_meta(folder: Path):
    p = json.loads((folder / "params.json").read_text())
    t, dtype = load_safetensors(folder / "model.safetensors")
    dim, heads = p["dim"], p["n_heads"]
    blocks = []
    for i in range(p["n_layers"]):  # a model with n_future_tokens = 1: every block is the trunk plus head 1
        pre = f"layers.{i}."
        blocks.append({"attention_norm": t[pre + "attention_norm.weight"], "ffn_norm": t[pre + "ffn_norm.weight"],
                       **{w: t[pre + "attention." + w + ".weight"] for w in ("wq", "wk", "wv", "wo")},
                       **{w: t[pre + "feed_forward." + w + ".weight"] for w in ("w1", "w2", "w3")}})
    cfg = dict(dim=dim, heads=heads, kv_heads=p.get("n_kv_heads") or heads, vocab=t["output.weight"].shape[0],
               seq=p.get("max_seq_len", 2048), eps=p.get("norm_eps", 1e-5), theta=p.get("rope_theta", 10000.0))
    return cfg, t["tok_embeddings.weight"], blocks, t["norm.weight"], t["output.weight"], dtype


class Decoder:
    """A Llama forward for one token at a time, interleaved RoPE, KV cache preallocated."""

    def __init__(self, cfg, emb, blocks, norm, out):
        self.c, self.emb, self.blocks, self.norm, self.out = cfg, emb, blocks, norm, out
        self.hs = cfg["dim"] // cfg["heads"]
        self.wdtype = out.dtype
        freqs = 1.0 / (cfg["theta"] ** (torch.arange(0, self.hs, 2, dtype=torch.float64) / self.hs))
        angles = torch.outer(torch.arange(cfg["seq"], dtype=torch.float64), freqs)
        self.cos, self.sin = angles.cos().float(), angles.sin().float()

    def reset(self):
        c = self.c
        self.k = [torch.zeros(c["seq"], c["kv_heads"], self.hs) for _ in self.blocks]
        self.v = [torch.zeros(c["seq"], c["kv_heads"], self.hs) for _ in self.blocks]

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["eps"]) * w

    def linear(self, x, w):
        return F.linear(x.to(self.wdtype), w).float()

    def rope(self, x, pos):  # x: (heads, hs); rotates pairs (x[2i], x[2i+1])
        a, b = x[:, 0::2], x[:, 1::2]
        cos, sin = self.cos[pos], self.sin[pos]
        return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(1)

    @torch.no_grad()
    def step(self, token, pos):
        c, hs = self.c, self.hs
        x = self.emb[token].float()
        group = c["heads"] // c["kv_heads"]
        for i, b in enumerate(self.blocks):
            h = self.rms(x, b["attention_norm"])
            q = self.rope(self.linear(h, b["wq"]).view(c["heads"], hs), pos)
            self.k[i][pos] = self.rope(self.linear(h, b["wk"]).view(c["kv_heads"], hs), pos)
            self.v[i][pos] = self.linear(h, b["wv"]).view(c["kv_heads"], hs)
            keys = self.k[i][:pos + 1].repeat_interleave(group, dim=1)     # (t, heads, hs)
            values = self.v[i][:pos + 1].repeat_interleave(group, dim=1)
            att = torch.softmax(torch.einsum("hd,thd->ht", q, keys) / math.sqrt(hs), dim=-1)
            x = x + self.linear(torch.einsum("ht,thd->hd", att, values).reshape(-1), b["wo"])
            h = self.rms(x, b["ffn_norm"])
            x = x + self.linear(F.silu(self.linear(h, b["w1"])) * self.linear(h, b["w3"]), b["w2"])
        return self.linear(self.rms(x, self.norm), self.out)

    def generate(self, prompt, n):
        """Greedy ids after the prompt, and the seconds of the decoding steps after the first token."""
        self.reset()
        for pos, t in enumerate(prompt):
            logits = self.step(t, pos)
        ids = [int(torch.argmax(logits))]
        t0 = time.perf_counter()
        pos = len(prompt)
        while len(ids) < n:
            logits = self.step(ids[-1], pos)
            ids.append(int(torch.argmax(logits)))
            pos += 1
        return ids, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="a llama2.c .bin file or a Meta folder")
    ap.add_argument("--prompt-ids", required=True, help="comma-separated ids (BOS included when the model wants it)")
    ap.add_argument("--tokens", type=int, default=64, help="tokens to generate")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="timed runs; the fastest counts")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    loaded = load_llama2c(a.model) if a.model.is_file() else load_meta(a.model)
    model = Decoder(*loaded[:5])
    prompt = [int(s) for s in a.prompt_ids.split(",") if s]
    model.generate(prompt, min(a.tokens, 4))  # warm-up
    best, ids = None, []
    for _ in range(a.repeats):
        ids, seconds = model.generate(prompt, a.tokens)
        tps = (len(ids) - 1) / seconds if seconds > 0 else 0.0
        best = tps if best is None else max(best, tps)
    print(json.dumps({"tokens_per_second": best, "ids": ids, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "dtype": loaded[5]}))


if __name__ == "__main__":
    sys.exit(main())
