#!/usr/bin/python3
"""Give a pretrained Llama model multi-token-prediction heads, trained by self-distillation.

    /usr/bin/python3 models/attach_heads.py --checkpoint ../shared/data/llama2c/stories260K.bin \
        --heads 4 --out models/stories260K-mtp4

Recipe (works for any Llama checkpoint the reference can read: llama2.c .bin, a Meta folder, an HF folder):
  1. The last block becomes head 1 (the next-token head); blocks 0..L-2 are the shared trunk.  The
     model's own next-token predictions are unchanged: trunk + head 1 + final norm + output IS the
     original model.
  2. Heads 2..n are new blocks initialised as copies of the last block.
  3. No dataset: the original model writes its own training text with a KV cache: mostly greedy
     continuations of a few tokens sampled from BOS (or of --prompts), the text self-speculative
     decoding has to draft, plus some sampled at temperature 0.7.  Head k at position t is trained to match the original
     model's next-token distribution at position t+k-1, i.e. what the model itself would say k
     tokens ahead (a soft target: lower variance than the sampled token).
  4. Only the new heads train: trunk, head 1, norm, output and embeddings stay frozen, so the
     trunk output and the teacher distributions are computed once per batch without gradients.
  5. Export in the Meta layout (params.json + model.safetensors, F32 by default, with
     n_future_tokens = n): layers.0..L-1 (trunk + head 1) and extra_heads.0..n-2.
Greedy decoding with head 1 of the result gives exactly the original model's ids; the heads only
make the engine's self-speculative decoding faster.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panamax_ref.export import export_meta, load_hf, load_meta  # noqa: E402
from panamax_ref.llama2c import load_llama2c  # noqa: E402
from panamax_ref.model import Transformer, apply_rope, rope_angles  # noqa: E402


def load_any(path: Path) -> tuple[Transformer, str]:
    path = Path(path)
    if path.is_file() and path.suffix == ".bin":
        return load_llama2c(path)[0].float(), "meta"
    if (path / "params.json").exists():
        return load_meta(path, torch.float32), "meta"
    if (path / "config.json").exists():
        # HF stores wq/wk permuted for half-split RoPE: undo it, giving Meta's interleaved-pair order
        m = load_hf(path, torch.float32)
        with torch.no_grad():
            for blk in m.layers:
                for lin, heads in ((blk.attention.wq, m.args.n_heads), (blk.attention.wk, m.args.n_kv_heads)):
                    rows, cols = lin.weight.shape
                    lin.weight.copy_(lin.weight.view(heads, 2, rows // heads // 2, cols).transpose(1, 2).reshape(rows, cols))
        return m, "meta"
    raise SystemExit(f"{path}: not a llama2.c .bin, Meta folder (params.json) or HF folder (config.json)")


def with_heads(base: Transformer, n: int) -> Transformer:
    """The same weights, re-read as trunk + n heads; new heads copy the last block."""
    args = replace(base.args, n_layers=base.args.n_layers + n - 1, n_future_tokens=n)
    m = Transformer(args)
    sd = dict(base.state_dict())
    last = base.args.n_layers - 1
    for j in range(n - 1):
        for k, v in base.layers[last].state_dict().items():
            sd[f"extra_heads.{j}.{k}"] = v.clone()
    m.load_state_dict(sd)
    return m


@torch.no_grad()
def sample(model: Transformer, rope: str, batch: int, length: int, temperature: float, bos: int,
           gen: torch.Generator, prefix: int = 0, forced: torch.Tensor | None = None) -> torch.Tensor:
    """Sequences [batch, length] (BOS first) from head 1, with a simple KV cache.

    Temperature 0 is greedy decoding after a `prefix` of tokens sampled at temperature 1: greedy
    continuations of varied beginnings, the text self-speculative decoding has to draft.  `forced`
    [batch, P] fixes the first P tokens (prompts; BOS first) instead."""
    a = model.args
    dev = model.output.weight.device
    cos, sin = (t.to(dev) for t in rope_angles(a, torch.arange(length), torch.float32))
    blocks = list(model.layers)                        # trunk + head 1 = the original model
    ks = [torch.zeros(batch, length, a.n_kv_heads, a.head_dim, device=dev) for _ in blocks]
    vs = [torch.zeros(batch, length, a.n_kv_heads, a.head_dim, device=dev) for _ in blocks]
    ids = torch.full((batch, length), bos, dtype=torch.long, device=dev)
    if forced is not None:
        forced = forced.to(dev)

    def draw(probs):        # the generator lives on the CPU, so that a seed gives the same text everywhere
        return torch.multinomial(probs.float().cpu(), 1, generator=gen)[:, 0].to(dev)

    rep = a.n_heads // a.n_kv_heads
    for pos in range(length - 1):
        x = model.tok_embeddings(ids[:, pos:pos + 1])
        c, s = cos[pos:pos + 1], sin[pos:pos + 1]
        for i, blk in enumerate(blocks):
            att = blk.attention
            h = blk.attention_norm(x)
            q = apply_rope(att.wq(h).view(batch, 1, a.n_heads, a.head_dim), c, s, rope)
            ks[i][:, pos] = apply_rope(att.wk(h).view(batch, 1, a.n_kv_heads, a.head_dim), c, s, rope)[:, 0]
            vs[i][:, pos] = att.wv(h).view(batch, a.n_kv_heads, a.head_dim)
            k = ks[i][:, :pos + 1].repeat_interleave(rep, dim=2)
            v = vs[i][:, :pos + 1].repeat_interleave(rep, dim=2)
            scores = torch.einsum("bhd,bthd->bht", q[:, 0], k) / math.sqrt(a.head_dim)
            o = torch.einsum("bht,bthd->bhd", F.softmax(scores, -1), v).reshape(batch, 1, -1)
            x = x + att.wo(o)
            x = x + blk.feed_forward(blk.ffn_norm(x))
        logits = model.output(model.norm(x))[:, 0]
        if forced is not None and pos + 1 < forced.shape[1]:
            ids[:, pos + 1] = forced[:, pos + 1]
        elif temperature == 0 and pos + 1 >= prefix:
            ids[:, pos + 1] = logits.argmax(-1)
        elif temperature == 0:
            ids[:, pos + 1] = draw(F.softmax(logits, -1))
        else:
            ids[:, pos + 1] = draw(F.softmax(logits / temperature, -1))
    return ids


def distill_loss(model: Transformer, ids: torch.Tensor, rope: str, train: bool, amp: bool = False):
    """Sum over heads k = 2..n of CE(teacher p(x_{t+k} | x_{<t+k}), head k at t); plus per-head stats.

    amp: the heads' matmuls in bfloat16 autocast (CUDA tensor cores); the teacher stays float32."""
    n = model.args.n_future_tokens
    with torch.no_grad():
        x, cos, sin = model.trunk(ids, rope)
        teacher = model.output(model.norm(model.layers[-1](x, cos, sin, rope)))      # head 1 = original model
        p_teacher = F.softmax(teacher, -1)
    total, stats = 0.0, []
    T = ids.shape[1]
    for j, blk in enumerate(model.extra_heads):
        k = j + 2
        with torch.set_grad_enabled(train), torch.autocast(ids.device.type, dtype=torch.bfloat16, enabled=amp):
            logits = model.output(model.norm(blk(x, cos, sin, rope)))[:, :T - k + 1].float()
            target = p_teacher[:, k - 1:]                                      # position t+k-1
            loss = -(target * F.log_softmax(logits, -1)).sum(-1).mean()
        total = total + loss
        with torch.no_grad():
            agree = (logits.argmax(-1) == teacher[:, k - 1:].argmax(-1)).float().mean().item()
            exact = (logits[:, :T - k].argmax(-1) == ids[:, k:]).float().mean().item()
        stats.append({"head": k, "loss": loss.item(), "agree_teacher_argmax": agree, "top1_actual": exact})
    return total, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True, help="llama2.c .bin, Meta folder or HF folder")
    ap.add_argument("--heads", type=int, default=4, help="n: head 1 (the original last block) + n-1 new heads")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--bos", type=int, default=1)
    ap.add_argument("--temperatures", default="0,0,0.7",
                    help="sampling temperatures of the self-generated batches, in turn; 0 = greedy after a sampled prefix")
    ap.add_argument("--prefix", default="2,24", help="sampled prefix length range before greedy (min,max)")
    ap.add_argument("--prompts", type=Path, help="JSON lines with 'ids': prompts (BOS added) that begin the sequences "
                                                    "instead of sampled prefixes (use training-split text, never held-out)")
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--sequences", type=int, default=384, help="self-generated training sequences")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--gen-batch", type=int, default=None, help="sequences generated at once (default: --batch)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda: the same recipe runs on a GPU")
    ap.add_argument("--amp", action="store_true", help="bfloat16 autocast for the heads' training (CUDA)")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--time-budget", type=float, default=1800)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dtype", default="F32", choices=["F32", "BF16"])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)

    base, rope = load_any(a.checkpoint)
    base.to(a.device)
    if base.args.n_future_tokens > 1:      # already an MTP model: retrain its heads 2..n in place
        model = base.eval()
        a.heads = base.args.n_future_tokens
    else:
        model = with_heads(base.eval(), a.heads)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in model.extra_heads.parameters():
        p.requires_grad_(True)
    print(f"{a.checkpoint}: {model.args.n_trunk} trunk blocks, {a.heads} heads, "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.3f}M params "
          f"({sum(p.numel() for p in model.extra_heads.parameters()) / 1e6:.3f}M trainable)", flush=True)

    # 1. Self-generated text: training set and a held-out set, at temperatures 1.0, 0.7 and 0.4.
    t0 = time.time()
    temps = [float(t) for t in a.temperatures.split(",")]
    prompt_ids = [json.loads(l)["ids"] for l in a.prompts.read_text().splitlines()] if a.prompts else []
    lo, hi = (int(x) for x in a.prefix.split(","))
    train_seqs, held_seqs = [], []
    gb = a.gen_batch or a.batch
    for i in range(0, a.sequences + 64, gb):
        prefix = int(torch.randint(lo, hi + 1, (1,), generator=gen))
        forced = None
        if prompt_ids:
            chosen = [prompt_ids[int(j)] for j in torch.randint(0, len(prompt_ids), (gb,), generator=gen)]
            p = min(len(c) for c in chosen)
            forced = torch.tensor([[a.bos] + c[:p] for c in chosen])
        seqs = sample(model, rope, gb, a.seq, temps[(i // gb) % len(temps)], a.bos, gen, prefix, forced)
        (train_seqs if i < a.sequences else held_seqs).append(seqs)
        print(f"  generated {i + gb}/{a.sequences + 64} sequences, {time.time() - t0:.0f}s", flush=True)
    train_ids, held_ids = torch.cat(train_seqs), torch.cat(held_seqs)[:64]

    # 2. Train the new heads only.
    opt = torch.optim.AdamW(model.extra_heads.parameters(), lr=a.lr, weight_decay=0.0)
    model.train()
    step, elapsed, history = 0, 0.0, []
    while step < a.steps and elapsed < a.time_budget:
        t1 = time.time()
        lr = a.lr * 0.5 * (1 + math.cos(math.pi * step / a.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, len(train_ids), (a.batch,), generator=gen)
        loss, stats = distill_loss(model, train_ids[idx.to(train_ids.device)], rope, True, a.amp)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        elapsed += time.time() - t1
        if step % 25 == 0 or step == a.steps:
            history.append({"step": step, "loss": [round(s["loss"], 4) for s in stats]})
            eta = min((a.steps - step) * elapsed / step, a.time_budget - elapsed)
            per_head = " ".join(f"{s['loss']:.3f}" for s in stats)
            print(f"step {step}/{a.steps} loss {loss.item():.3f} heads 2..{a.heads} [{per_head}] "
                  f"{a.batch * a.seq / (elapsed / step):.0f} tok/s ETA {eta / 60:.1f}m", flush=True)

    # 3. Held-out: per head, agreement with the original model's own argmax k tokens ahead.
    model.eval()
    with torch.no_grad():
        held = [distill_loss(model, held_ids[i:i + 16], rope, False)[1] for i in range(0, len(held_ids), 16)]
        held = [{key: (sum(h[j][key] for h in held) / len(held) if key != "head" else held[0][j][key]) for key in held[0][j]}
                for j in range(len(held[0]))]     # means over equal-sized chunks
        # head 1 is the original model: its agreement with itself is 1 by construction
    print("held-out:", json.dumps(held), flush=True)
    a.out.mkdir(parents=True, exist_ok=True)
    model.to("cpu")
    export_meta(model, a.out, a.dtype, metadata={"format": "pt", "source": a.checkpoint.name})
    summary = {"checkpoint": a.checkpoint.name, "heads": a.heads, "seed": a.seed, "steps": step, "seconds": round(elapsed),
               "generation_seconds": round(time.time() - t0 - elapsed), "train_sequences": len(train_ids),
               "held_sequences": len(held_ids), "seq": a.seq, "temperatures": temps, "heldout": held,
               "history": history}
    work = Path(__file__).resolve().parent / "work" / a.out.name
    work.mkdir(parents=True, exist_ok=True)
    (work / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    # Prompts for `bench mtp`: prefixes of held-out self-generated sequences, BOS included.
    if a.checkpoint.is_dir():
        for extra in ("tokenizer.json", "heldout-prompts.jsonl"):
            if (a.checkpoint / extra).exists() and a.checkpoint.resolve() != a.out.resolve():
                (a.out / extra).write_bytes((a.checkpoint / extra).read_bytes())
    if (a.out / "heldout-prompts.jsonl").exists():
        print(f"exported to {a.out}", flush=True)
        return
    rnd = random.Random(a.seed)
    with open(a.out / "heldout-prompts.jsonl", "w") as f:
        for i in range(64):
            f.write(json.dumps({"ids": held_ids[i % len(held_ids), :rnd.randint(4, 16)].cpu().tolist()}) + "\n")
    print(f"exported to {a.out}", flush=True)


if __name__ == "__main__":
    main()
