"""A plain PyTorch reference of the transformer Panamax runs.

One trunk of Llama blocks, then n parallel head blocks that all read the trunk's output and share
the final RMSNorm and the unembedding `output`.  Head 1 predicts token t+1 (the ordinary next
token), head h predicts token t+h.  With n_future_tokens = 1 this is a plain Llama model.

Weights live in the Meta layout (interleaved RoPE pairs).  `rope="half"` instead rotates halves,
which is what Hugging Face checkpoints expect after their wq/wk permutation (see export.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelArgs:
    dim: int = 128
    n_layers: int = 8            # all blocks: trunk + every head block
    n_heads: int = 4
    n_kv_heads: int = 2
    vocab_size: int = 256
    multiple_of: int = 32
    ffn_dim_multiplier: float | None = None
    norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_seq_len: int = 256
    n_future_tokens: int = 1

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def hidden_dim(self) -> int:
        """The SwiGLU width, computed exactly as Meta's Llama code does."""
        hidden = int(2 * (4 * self.dim) / 3)
        if self.ffn_dim_multiplier is not None:
            hidden = int(self.ffn_dim_multiplier * hidden)
        return self.multiple_of * ((hidden + self.multiple_of - 1) // self.multiple_of)

    @property
    def n_trunk(self) -> int:
        return self.n_layers - self.n_future_tokens

    def to_params(self) -> dict:
        d = asdict(self)
        if d["ffn_dim_multiplier"] is None:
            del d["ffn_dim_multiplier"]
        return d

    @staticmethod
    def from_params(p: dict) -> "ModelArgs":
        known = {k: p[k] for k in ModelArgs.__dataclass_fields__ if k in p}
        return ModelArgs(**known)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_angles(args: ModelArgs, positions: torch.Tensor, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of shape [T, head_dim/2]: pair i turns by pos * theta^(-2i/head_dim)."""
    hd = args.head_dim
    freqs = 1.0 / (args.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = positions.to(torch.float64)[:, None] * freqs[None, :]
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def apply_rope(x: torch.Tensor, cos, sin, style: str) -> torch.Tensor:
    """x: [B, T, H, hd].  "meta" rotates (x[2i], x[2i+1]); "half" rotates (x[i], x[i+hd/2])."""
    cos = cos[None, :, None, :]
    sin = sin[None, :, None, :]
    if style == "meta":
        a, b = x[..., 0::2], x[..., 1::2]
        ra, rb = a * cos - b * sin, a * sin + b * cos
        return torch.stack((ra, rb), dim=-1).flatten(-2)
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)


class Attention(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        hd = args.head_dim
        self.wq = nn.Linear(args.dim, args.n_heads * hd, bias=False)
        self.wk = nn.Linear(args.dim, args.n_kv_heads * hd, bias=False)
        self.wv = nn.Linear(args.dim, args.n_kv_heads * hd, bias=False)
        self.wo = nn.Linear(args.n_heads * hd, args.dim, bias=False)

    def forward(self, x, cos, sin, rope: str):
        B, T, _ = x.shape
        a = self.args
        q = self.wq(x).view(B, T, a.n_heads, a.head_dim)
        k = self.wk(x).view(B, T, a.n_kv_heads, a.head_dim)
        v = self.wv(x).view(B, T, a.n_kv_heads, a.head_dim)
        q, k = apply_rope(q, cos, sin, rope), apply_rope(k, cos, sin, rope)
        rep = a.n_heads // a.n_kv_heads          # grouped-query attention: share each kv head
        k = k.repeat_interleave(rep, dim=2)
        v = v.repeat_interleave(rep, dim=2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))          # [B, H, T, hd]
        scores = q @ k.transpose(-1, -2) / math.sqrt(a.head_dim)
        mask = torch.full((T, T), float("-inf"), dtype=x.dtype, device=x.device).triu(1)
        att = F.softmax(scores + mask, dim=-1)
        out = (att @ v).transpose(1, 2).reshape(B, T, -1)
        return self.wo(out)


class FeedForward(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        h = args.hidden_dim
        self.w1 = nn.Linear(args.dim, h, bias=False)   # gate
        self.w2 = nn.Linear(h, args.dim, bias=False)   # down
        self.w3 = nn.Linear(args.dim, h, bias=False)   # up

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.attention = Attention(args)
        self.feed_forward = FeedForward(args)
        self.attention_norm = RMSNorm(args.dim, args.norm_eps)
        self.ffn_norm = RMSNorm(args.dim, args.norm_eps)

    def forward(self, x, cos, sin, rope: str):
        h = x + self.attention(self.attention_norm(x), cos, sin, rope)
        return h + self.feed_forward(self.ffn_norm(h))


class Transformer(nn.Module):
    """State-dict names are exactly the Meta checkpoint names (tok_embeddings, layers.i, extra_heads.j...)."""

    def __init__(self, args: ModelArgs):
        super().__init__()
        assert args.n_heads % args.n_kv_heads == 0 and args.dim % args.n_heads == 0
        assert 1 <= args.n_future_tokens < args.n_layers + 1
        self.args = args
        self.tok_embeddings = nn.Embedding(args.vocab_size, args.dim)
        # `layers` = trunk blocks + head 1; heads 2..n live in `extra_heads`.
        self.layers = nn.ModuleList(Block(args) for _ in range(args.n_trunk + 1))
        self.extra_heads = nn.ModuleList(Block(args) for _ in range(args.n_future_tokens - 1))
        self.norm = RMSNorm(args.dim, args.norm_eps)
        self.output = nn.Linear(args.dim, args.vocab_size, bias=False)

    def head_blocks(self) -> list[Block]:
        return [self.layers[-1], *self.extra_heads]

    def trunk(self, ids: torch.Tensor, rope: str = "meta", start_pos: int = 0):
        T = ids.shape[1]
        x = self.tok_embeddings(ids)
        cos, sin = rope_angles(self.args, torch.arange(start_pos, start_pos + T), x.dtype)
        cos, sin = cos.to(ids.device), sin.to(ids.device)
        for blk in self.layers[:-1]:
            x = blk(x, cos, sin, rope)
        return x, cos, sin

    def forward(self, ids: torch.Tensor, rope: str = "meta", n_heads: int | None = None) -> torch.Tensor:
        """ids [B, T] -> logits [n_heads, B, T, vocab]; entry h predicts the token at t+1+h."""
        x, cos, sin = self.trunk(ids, rope)
        heads = self.head_blocks()[: (n_heads or len(self.head_blocks()))]
        return torch.stack([self.output(self.norm(blk(x, cos, sin, rope))) for blk in heads])

    @torch.no_grad()
    def greedy(self, prompt: list[int], n_new: int, rope: str = "meta") -> list[int]:
        """Plain greedy decoding with head 1 (no cache: the reference favours clarity)."""
        ids = list(prompt)
        dev = self.output.weight.device
        for _ in range(n_new):
            logits = self.forward(torch.tensor([ids[-self.args.max_seq_len:]], device=dev), rope, n_heads=1)
            ids.append(int(logits[0, 0, -1].argmax()))
        return ids[len(prompt):]
