"""Reading a llama2.c `.bin` checkpoint into the reference (Meta layout: llama2.c rotates interleaved pairs)."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import torch

from .model import ModelArgs, Transformer


def load_llama2c(path: Path) -> tuple[Transformer, int]:
    """Returns the model (n_future_tokens = 1, float32) and the multiple_of that reproduces its hidden_dim."""
    raw = Path(path).read_bytes()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack("<7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    f = np.frombuffer(raw, dtype="<f4", offset=28)
    # Find a multiple_of that gives Meta's hidden_dim formula this exact width.
    mult = next(m for m in range(1, 1025) if ModelArgs(dim=dim, multiple_of=m).hidden_dim == hidden)
    args = ModelArgs(dim=dim, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv, vocab_size=vocab,
                     multiple_of=mult, norm_eps=1e-5, rope_theta=10000.0, max_seq_len=seq_len, n_future_tokens=1)
    hd, kv = dim // n_heads, n_kv * (dim // n_heads)
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        t = torch.from_numpy(f[pos:pos + n].copy()).reshape(shape)
        pos += n
        return t

    emb = take(vocab, dim)
    rms_att = take(n_layers, dim)
    wq, wk, wv, wo = take(n_layers, dim, dim), take(n_layers, kv, dim), take(n_layers, kv, dim), take(n_layers, dim, dim)
    rms_ffn = take(n_layers, dim)
    w1, w2, w3 = take(n_layers, hidden, dim), take(n_layers, dim, hidden), take(n_layers, hidden, dim)
    rms_final = take(dim)
    pos += seq_len * hd // 2 * 2          # the precomputed RoPE tables llama2.c stores
    wcls = emb if shared else take(vocab, dim)
    sd = {"tok_embeddings.weight": emb, "norm.weight": rms_final, "output.weight": wcls}
    for i in range(n_layers):
        p = f"layers.{i}."
        sd.update({p + "attention.wq.weight": wq[i], p + "attention.wk.weight": wk[i], p + "attention.wv.weight": wv[i],
                   p + "attention.wo.weight": wo[i], p + "feed_forward.w1.weight": w1[i],
                   p + "feed_forward.w2.weight": w2[i], p + "feed_forward.w3.weight": w3[i],
                   p + "attention_norm.weight": rms_att[i], p + "ffn_norm.weight": rms_ffn[i]})
    m = Transformer(args)
    m.load_state_dict(sd)
    return m.eval(), mult
