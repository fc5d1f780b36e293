"""Writing (and reading back) the files Panamax loads: safetensors, Meta params.json, HF config.json.

safetensors is simple enough to write by hand: an 8-byte little-endian header length, a JSON header
naming each tensor's dtype, shape and [begin, end) byte range in the data block, then the data.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import torch

from .model import ModelArgs, Transformer

_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
_NAMES = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], dtype: str = "F32", metadata: dict | None = None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().to("cpu", _DTYPES[dtype]).contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if dtype != "F32" else t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)          # keep the data block 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        dt = _DTYPES[e["dtype"]]
        if dt == torch.float32:
            t = torch.frombuffer(bytearray(data[base + b: base + end]), dtype=torch.float32)
        else:
            t = torch.frombuffer(bytearray(data[base + b: base + end]), dtype=torch.int16).view(dt)
        out[name] = t.reshape(e["shape"]).clone()
    return out


def export_meta(model: Transformer, out_dir: Path, dtype: str = "F32", metadata: dict | None = None):
    """params.json + model.safetensors with Meta names (tok_embeddings, layers.i..., extra_heads.j..., output)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "params.json").write_text(json.dumps(model.args.to_params(), indent=2) + "\n")
    write_safetensors(out_dir / "model.safetensors", dict(model.state_dict()), dtype, metadata)


def load_meta(model_dir: Path, dtype=torch.float64) -> Transformer:
    """Reads an exported Meta folder back (as stored: BF16 weights become exact float values)."""
    model_dir = Path(model_dir)
    args = ModelArgs.from_params(json.loads((model_dir / "params.json").read_text()))
    m = Transformer(args)
    sd = read_safetensors(model_dir / "model.safetensors")
    m.load_state_dict({k: v.to(torch.float32) for k, v in sd.items()})
    return m.to(dtype).eval()


def _to_half_split(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """Reorder each head's rows from interleaved pairs (0,1),(2,3).. to halves (0,hd/2),(1,hd/2+1)..

    This is the permutation Hugging Face applies to wq/wk when converting Meta checkpoints; with it,
    rotating halves gives exactly what rotating interleaved pairs gave on the original weights.
    """
    rows, cols = w.shape
    return w.view(n_heads, rows // n_heads // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


def hf_state_dict(model: Transformer, tie_embeddings: bool) -> dict[str, torch.Tensor]:
    a = model.args
    assert a.n_future_tokens == 1, "the Hugging Face Llama layout has no MTP heads"
    sd = {"model.embed_tokens.weight": model.tok_embeddings.weight}
    for i, blk in enumerate(model.layers):
        p = f"model.layers.{i}."
        sd[p + "self_attn.q_proj.weight"] = _to_half_split(blk.attention.wq.weight, a.n_heads)
        sd[p + "self_attn.k_proj.weight"] = _to_half_split(blk.attention.wk.weight, a.n_kv_heads)
        sd[p + "self_attn.v_proj.weight"] = blk.attention.wv.weight
        sd[p + "self_attn.o_proj.weight"] = blk.attention.wo.weight
        sd[p + "mlp.gate_proj.weight"] = blk.feed_forward.w1.weight
        sd[p + "mlp.up_proj.weight"] = blk.feed_forward.w3.weight
        sd[p + "mlp.down_proj.weight"] = blk.feed_forward.w2.weight
        sd[p + "input_layernorm.weight"] = blk.attention_norm.weight
        sd[p + "post_attention_layernorm.weight"] = blk.ffn_norm.weight
    sd["model.norm.weight"] = model.norm.weight
    if not tie_embeddings:
        sd["lm_head.weight"] = model.output.weight
    return sd


def export_hf(model: Transformer, out_dir: Path, dtype: str = "F32", tie_embeddings: bool = False,
              bos_token_id: int = 1, eos_token_id: int = 2):
    """config.json (LlamaForCausalLM names) + model.safetensors with permuted wq/wk (half-split RoPE)."""
    a = model.args
    if tie_embeddings:
        assert torch.equal(model.output.weight, model.tok_embeddings.weight), "tied export needs output == embedding"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": a.dim,
        "intermediate_size": a.hidden_dim,
        "num_attention_heads": a.n_heads,
        "num_hidden_layers": a.n_layers,
        "num_key_value_heads": a.n_kv_heads,
        "hidden_act": "silu",
        "rms_norm_eps": a.norm_eps,
        "rope_theta": a.rope_theta,
        "max_position_embeddings": a.max_seq_len,
        "vocab_size": a.vocab_size,
        "tie_word_embeddings": tie_embeddings,
        "bos_token_id": bos_token_id,
        "eos_token_id": eos_token_id,
        "torch_dtype": {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}[dtype],
    }
    (out_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_safetensors(out_dir / "model.safetensors", hf_state_dict(model, tie_embeddings), dtype)


def load_hf(model_dir: Path, dtype=torch.float64) -> Transformer:
    """An HF folder back into the reference, weights kept in HF order: run it with rope="half"."""
    model_dir = Path(model_dir)
    c = json.loads((model_dir / "config.json").read_text())
    args = ModelArgs(dim=c["hidden_size"], n_layers=c["num_hidden_layers"], n_heads=c["num_attention_heads"],
                     n_kv_heads=c.get("num_key_value_heads", c["num_attention_heads"]), vocab_size=c["vocab_size"],
                     norm_eps=c["rms_norm_eps"], rope_theta=c.get("rope_theta", 10000.0),
                     max_seq_len=c["max_position_embeddings"], n_future_tokens=1)
    sd = read_safetensors(model_dir / "model.safetensors")
    hidden = c["intermediate_size"]
    m = Transformer(args) if args.hidden_dim == hidden else None
    assert m is not None, "reference needs intermediate_size reachable from multiple_of; fine for our exports"
    meta = {"tok_embeddings.weight": sd["model.embed_tokens.weight"], "norm.weight": sd["model.norm.weight"],
            "output.weight": sd.get("lm_head.weight", sd["model.embed_tokens.weight"])}
    names = {"self_attn.q_proj": "attention.wq", "self_attn.k_proj": "attention.wk", "self_attn.v_proj": "attention.wv",
             "self_attn.o_proj": "attention.wo", "mlp.gate_proj": "feed_forward.w1", "mlp.up_proj": "feed_forward.w3",
             "mlp.down_proj": "feed_forward.w2", "input_layernorm": "attention_norm", "post_attention_layernorm": "ffn_norm"}
    for i in range(args.n_layers):
        for hf, me in names.items():
            meta[f"layers.{i}.{me}.weight"] = sd[f"model.layers.{i}.{hf}.weight"]
    m.load_state_dict({k: v.to(torch.float32) for k, v in meta.items()})
    return m.to(dtype).eval()
