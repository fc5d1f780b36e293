#!/usr/bin/python3
"""Train a small multi-token-prediction model on the Python standard library and export it for Panamax.

    /usr/bin/python3 models/train.py --preset code-mtp4 --device cuda --amp --time-budget 210   # as shipped
    /usr/bin/python3 models/train.py --preset bytes-mtp8 --device cuda --amp --time-budget 210  # as shipped
    (models/train_gpu.sh runs both, then distils their draft heads; see the model cards.)

The loss is the multi-token loss: the sum over heads h = 1..n of the cross-entropy of head h's
logits at position t against the token at t + h.  The heads are independent blocks on one shared
trunk; like the paper we run the trunk once, then each head's forward and backward in turn with the
trunk output detached, summing the heads' gradients into it before one trunk backward (memory for
one head's logits at a time instead of n).

Data: every *.py under /usr/lib/python3.11 (not dist-packages), split by file: a file is held out
when the SHA-1 of its path (relative to that folder) mod 20 is 0.  Presets with extra="dist-packages"
add to the training split the Python packages Debian installs under /usr/lib/python3/dist-packages
(python3-torch and its dependencies: every machine of this kind has them), minus machine-generated
files (over 200 KB, sympy's rubi rule tables), up to a fixed number of bytes; the held-out split
stays the standard library's.  Files are joined as
<s> file </s> and training windows are drawn at random offsets, the offsets fixed by the seed and
the step, so a resumed run sees exactly the batches a straight run would.

Work files (data cache, checkpoints, log, summary.json) go to models/work/<preset>/ (git-ignored).
The data cache may be gzipped (data.pt.gz) to carry it to a GPU machine that lacks these sources.
The run stops at --steps or when --time-budget seconds of training have passed, whichever comes
first (with --schedule time the learning rate decays over the time budget instead of the steps), checkpoints every --ckpt-every seconds and at the end, then exports params.json,
model.safetensors (BF16), tokenizer.json, heldout-prompts.jsonl to models/<preset>/.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bpe  # noqa: E402
from panamax_ref.export import export_meta  # noqa: E402
from panamax_ref.model import ModelArgs, Transformer  # noqa: E402

HERE = Path(__file__).resolve().parent
STDLIB = Path("/usr/lib/python3.11")
DIST = Path("/usr/lib/python3/dist-packages")

PRESETS = {
    # trunk = n_layers - n_future_tokens blocks; every head is one more block.
    # what 2 shared CPU cores can train in an hour (not shipped: the GPU-trained code-mtp4 below is)
    "code-mtp4-small": dict(tokenizer="bpe", vocab=4096, seq=256, batch=8, lr=3e-3, steps=400, prompt_chars=200,
                      args=dict(dim=128, n_layers=8, n_heads=4, n_kv_heads=2, multiple_of=32, n_future_tokens=4)),
    "bytes-mtp8-cpu": dict(tokenizer="bytes", vocab=258, seq=384, batch=6, lr=3e-3, steps=300, prompt_chars=160,
                       args=dict(dim=128, n_layers=12, n_heads=4, n_kv_heads=2, multiple_of=32, n_future_tokens=8)),
    # the first shipped code model (GPU, 60 s): 3.8M parameters, trunk 5 blocks
    "code-mtp4-v1": dict(tokenizer="bpe", vocab=4096, seq=512, batch=32, lr=2e-3, steps=1200, prompt_chars=200,
                         args=dict(dim=160, n_layers=9, n_heads=5, n_kv_heads=1, multiple_of=32, n_future_tokens=4)),
    # the shipped code model: 10.6M parameters (21 MB in BF16), trunk 8 blocks, stdlib + dist-packages
    "code-mtp4": dict(tokenizer="bpe", vocab=4096, seq=512, batch=64, lr=1.5e-3, steps=None, prompt_chars=200,
                      extra="dist-packages", extra_bytes=32_000_000,
                      args=dict(dim=256, n_layers=12, n_heads=8, n_kv_heads=2, multiple_of=32, n_future_tokens=4)),
    # the shipped byte-level model: 8 heads (the paper's byte-level setting), trunk 8 blocks
    "bytes-mtp8": dict(tokenizer="bytes", vocab=258, seq=512, batch=64, lr=1.5e-3, steps=None, prompt_chars=160,
                       extra="dist-packages", extra_bytes=20_000_000,
                           args=dict(dim=256, n_layers=16, n_heads=8, n_kv_heads=2, multiple_of=32, n_future_tokens=8)),
}


def dist_files(limit: int) -> list[Path]:
    """dist-packages sources for training: hand-written Python only, in a fixed order, up to `limit` bytes."""
    files = sorted(p for p in DIST.rglob("*.py") if p.stat().st_size <= 200_000 and "rubi" not in p.parts)
    order = sorted(files, key=lambda p: hashlib.sha1(str(p.relative_to(DIST)).encode()).hexdigest())
    chosen, total = [], 0
    for p in order:
        if total >= limit:
            break
        chosen.append(p)
        total += p.stat().st_size
    return sorted(chosen)


# ----------------------------------------------------------------------------------------- data
def stdlib_files() -> tuple[list[Path], list[Path]]:
    files = sorted(p for p in STDLIB.rglob("*.py") if "dist-packages" not in p.parts and "site-packages" not in p.parts)
    held = lambda p: int(hashlib.sha1(str(p.relative_to(STDLIB)).encode()).hexdigest(), 16) % 20 == 0
    return [p for p in files if not held(p)], [p for p in files if held(p)]


class ByteTokenizer:
    """Ids 0..255 are bytes; 256 = <s>, 257 = </s>.  Saved as a merge-free byte-level BPE tokenizer.json."""
    bos, eos, vocab_size = 256, 257, 258

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def save(self, path: Path):
        bpe.Tokenizer([]).save(path)     # 256 byte tokens, no merges, then <s>=256 and </s>=257


def read(p: Path) -> str:
    return p.read_text(encoding="utf-8", errors="replace")


def prepare_data(preset: str, cfg: dict, work: Path, tokenizer: Path | None = None):
    cache = work / "data.pt"
    if cache.exists():
        return torch.load(cache, weights_only=False)
    if (work / "data.pt.gz").exists():
        with gzip.open(work / "data.pt.gz", "rb") as f:
            return torch.load(f, weights_only=False)
    train_files, held_files = stdlib_files()
    extra = dist_files(cfg["extra_bytes"]) if cfg.get("extra") == "dist-packages" else []
    print(f"data: {len(train_files)} train files (+{len(extra)} from dist-packages), {len(held_files)} held-out files", flush=True)
    if cfg["tokenizer"] == "bpe" and tokenizer is not None:
        tok = bpe.Tokenizer.load(tokenizer)      # reuse a trained vocabulary (it must come from the same train files)
        tok.save(work / "tokenizer.json")
    elif cfg["tokenizer"] == "bpe":
        t0 = time.time()
        tok = bpe.Tokenizer(bpe.train((read(p) for p in train_files), cfg["vocab"], log_every=1000))
        print(f"bpe: {tok.vocab_size} tokens in {time.time() - t0:.0f}s", flush=True)
        tok.save(work / "tokenizer.json")
    else:
        tok = ByteTokenizer()
        tok.save(work / "tokenizer.json")

    def stream(files):
        out = []
        for p in files:
            out += [tok.bos] + tok.encode(read(p)) + [tok.eos]
        return torch.tensor(out, dtype=torch.int16 if tok.vocab_size < 32768 else torch.int32)

    data = {"train": stream(train_files + extra), "held": stream(held_files), "vocab_size": tok.vocab_size,
            "train_files": [str(p.relative_to(STDLIB)) for p in train_files],
            "extra_files": len(extra), "extra_bytes": sum(p.stat().st_size for p in extra),
            "held_files": [str(p.relative_to(STDLIB)) for p in held_files],
            "train_bytes": sum(p.stat().st_size for p in train_files + extra)}
    torch.save(data, cache)
    print(f"data: {len(data['train'])} train tokens, {len(data['held'])} held-out tokens", flush=True)
    return data


def batch(stream: torch.Tensor, n: int, length: int, gen: torch.Generator) -> torch.Tensor:
    starts = torch.randint(0, len(stream) - length, (n,), generator=gen)
    return torch.stack([stream[s:s + length] for s in starts.tolist()]).long()


# ------------------------------------------------------------------------------------- training
def init_weights(model: Transformer, seed: int):
    g = torch.Generator().manual_seed(seed)
    depth_scale = 1.0 / math.sqrt(2 * (model.args.n_trunk + 1))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.fill_(1.0)
            else:
                std = 0.02 * (depth_scale if name.endswith(("wo.weight", "w2.weight")) else 1.0)
                p.copy_(torch.randn(p.shape, generator=g) * std)


def mtp_step(model: Transformer, seqs: torch.Tensor, T: int, amp: bool = False) -> list[float]:
    """Forward + backward of the multi-token loss; returns each head's loss.

    amp: matmuls in bfloat16 (weights, optimiser and loss stay float32), for tensor cores on CUDA."""
    dev = seqs.device.type
    with torch.autocast(dev, dtype=torch.bfloat16, enabled=amp):
        x, cos, sin = model.trunk(seqs[:, :T])
    trunk_out = x.detach().requires_grad_(True)
    losses = []
    for h, blk in enumerate(model.head_blocks()):
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=amp):
            logits = model.output(model.norm(blk(trunk_out, cos, sin, "meta")))
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), seqs[:, h + 1:h + 1 + T].reshape(-1))
        loss.backward()                  # head h's grads, plus its share of d(loss)/d(trunk_out)
        losses.append(loss.item())
    x.backward(trunk_out.grad)
    return losses


@torch.no_grad()
def evaluate(model: Transformer, stream: torch.Tensor, T: int, n_windows: int, bs: int, device) -> dict:
    """Held-out loss and top-1 accuracy of each head over fixed windows (seeded, the same every time)."""
    model.eval()
    n = model.args.n_future_tokens
    g = torch.Generator().manual_seed(12345)
    seqs = batch(stream, n_windows, T + n, g)
    tot_loss, tot_acc, count = torch.zeros(n, dtype=torch.float64), torch.zeros(n, dtype=torch.float64), 0
    for i in range(0, n_windows, bs):
        s = seqs[i:i + bs].to(device)
        logits = model(s[:, :T])
        for h in range(n):
            tgt = s[:, h + 1:h + 1 + T]
            tot_loss[h] += F.cross_entropy(logits[h].reshape(-1, logits.shape[-1]), tgt.reshape(-1), reduction="sum").item()
            tot_acc[h] += (logits[h].argmax(-1) == tgt).sum().item()
        count += s.shape[0] * T
    model.train()
    return {"loss": (tot_loss / count).tolist(), "top1": (tot_acc / count).tolist(), "tokens": count}


def cosine(frac: float, peak: float) -> float:
    """Cosine decay from peak (frac 0) to 10% of it (frac 1)."""
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def lr_at(step: int, steps: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return cosine((step - warmup) / max(1, steps - warmup), peak)


# ---------------------------------------------------------------------------------------- export
def heldout_prompts(data: dict, tok, path: Path, max_chars: int, n: int = 64, seed: int = 7):
    """Prompts cut from held-out files at the start of a `def`/`class` line, three lines each.

    One JSON object a line: {"text": the prompt, "ids": its encoding (no BOS)}."""
    rnd = random.Random(seed)
    cands = []
    for rel in data["held_files"]:
        lines = read(STDLIB / rel).splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.lstrip().startswith(("def ", "class ")) and i + 3 < len(lines):
                # no trailing newline: in training "\n" and the next line's indentation form one token
                cands.append("".join(lines[i:i + 3]).rstrip("\n"))
    rnd.shuffle(cands)
    chosen = [c for c in cands if 40 <= len(c) <= max_chars][:n]
    with open(path, "w", encoding="utf-8") as f:
        for text in chosen:
            f.write(json.dumps({"text": text, "ids": tok.encode(text)}, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=PRESETS, required=True)
    ap.add_argument("--steps", type=int, default=None, help="the learning-rate schedule's length and the most steps run (default: the preset's)")
    ap.add_argument("--schedule", choices=["steps", "time"], default=None,
                    help="decay the learning rate over --steps, or over --time-budget (default: time when the preset has no steps)")
    ap.add_argument("--batch", type=int, default=None, help="sequences per step (default: the preset's)")
    ap.add_argument("--prepare-only", action="store_true",
                    help="write the data cache (also gzipped) and train-prompts.jsonl (1024 def/class prompts from "
                         "the training files, seed 11, for attach_heads.py) to the work folder, then stop")
    ap.add_argument("--amp", action="store_true", help="bfloat16 autocast for the matmuls (CUDA tensor cores)")
    ap.add_argument("--tokenizer", type=Path, default=None, help="reuse this tokenizer.json instead of training one")
    ap.add_argument("--time-budget", type=float, default=3300, help="seconds of training before stopping and exporting")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt-every", type=float, default=300, help="seconds between checkpoints")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-windows", type=int, default=64)
    ap.add_argument("--work", type=Path, default=None, help="work folder (default models/work/<preset>)")
    ap.add_argument("--out", type=Path, default=None, help="export folder (default models/<preset>)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.backends.cuda.matmul.allow_tf32 = True      # on CUDA: TF32 tensor cores for the fp32 matmuls
    torch.backends.cudnn.allow_tf32 = True
    cfg = PRESETS[a.preset]
    a.steps = a.steps or cfg["steps"]
    a.schedule = a.schedule or ("time" if a.steps is None else "steps")
    if a.steps is None:
        a.steps = 1 << 30        # the time budget ends the run
    work = a.work or HERE / "work" / a.preset
    out = a.out or HERE / a.preset
    work.mkdir(parents=True, exist_ok=True)
    data = prepare_data(a.preset, cfg, work, a.tokenizer)
    tok = bpe.Tokenizer.load(a.tokenizer or work / "tokenizer.json") if cfg["tokenizer"] == "bpe" else ByteTokenizer()
    if a.prepare_only:
        with open(work / "data.pt", "rb") as f, gzip.open(work / "data.pt.gz", "wb") as g:
            g.write(f.read())
        heldout_prompts({"held_files": data["train_files"]}, tok, work / "train-prompts.jsonl", cfg["prompt_chars"], n=1024, seed=11)
        print(f"prepared {work}", flush=True)
        return
    T, B = cfg["seq"], a.batch or cfg["batch"]
    args = ModelArgs(vocab_size=data["vocab_size"], max_seq_len=T, **cfg["args"])
    n = args.n_future_tokens

    torch.manual_seed(a.seed)
    model = Transformer(args)
    init_weights(model, a.seed)
    model.to(a.device)
    decay = [p for p in model.parameters() if p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.dim() == 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=cfg["lr"], betas=(0.9, 0.95), eps=1e-8)
    n_params = sum(p.numel() for p in model.parameters())
    step, elapsed, history = 0, 0.0, []
    ckpt = work / "checkpoint.pt"
    if ckpt.exists():
        st = torch.load(ckpt, map_location=a.device, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, elapsed, history = st["step"], st["elapsed"], st["history"]
        print(f"resumed from {ckpt} at step {step} ({elapsed:.0f}s trained)", flush=True)
    print(f"{a.preset}: {n_params / 1e6:.2f}M params, {n} heads, trunk {args.n_trunk} blocks, T={T}, B={B}, "
          f"{len(data['train']) / 1e6:.2f}M train tokens, device {a.device}", flush=True)

    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "history": history, "args": asdict(args)}, ckpt)

    model.train()
    t_ckpt, warmup = time.time(), max(10, min(100, a.steps // 10))
    timed = a.schedule == "time"
    window_t, window_tokens, recent = time.time(), 0, []
    while step < a.steps and elapsed < a.time_budget:
        t0 = time.time()
        gen = torch.Generator().manual_seed(a.seed * 1_000_003 + step)
        seqs = batch(data["train"], B, T + n, gen).to(a.device)
        for group in opt.param_groups:
            group["lr"] = (cosine(elapsed / a.time_budget, cfg["lr"]) * min(1.0, (step + 1) / warmup)
                           if timed else lr_at(step, a.steps, cfg["lr"], warmup))
        opt.zero_grad(set_to_none=True)
        losses = mtp_step(model, seqs, T, a.amp)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if a.device.startswith("cuda"):
            torch.cuda.synchronize()
        step += 1
        elapsed += time.time() - t0
        window_tokens += B * T
        recent.append(losses)
        if step % a.log_every == 0 or step == a.steps:
            dt = time.time() - window_t
            mean = [sum(x) / len(recent) for x in zip(*recent)]
            history.append({"step": step, "elapsed": round(elapsed, 1), "loss": [round(v, 4) for v in mean]})
            eta = a.time_budget - elapsed if timed else min((a.steps - step) * elapsed / step, a.time_budget - elapsed)
            print(f"step {step}{'' if timed else f'/{a.steps}'} loss {sum(mean):.3f} heads [{' '.join(f'{v:.2f}' for v in mean)}] "
                  f"lr {opt.param_groups[0]['lr']:.2e} {window_tokens / dt:.0f} tok/s elapsed {elapsed / 60:.1f}m "
                  f"ETA {eta / 60:.1f}m", flush=True)
            window_t, window_tokens, recent = time.time(), 0, []
        if time.time() - t_ckpt > a.ckpt_every:
            save()
            t_ckpt = time.time()
    save()

    ev = evaluate(model, data["held"], T, a.eval_windows, B, a.device)
    print(f"held-out: loss {[round(v, 3) for v in ev['loss']]} top1 {[round(v, 3) for v in ev['top1']]}", flush=True)
    summary = {"preset": a.preset, "seed": a.seed, "steps": step, "planned_steps": None if timed else a.steps,
               "schedule": a.schedule, "amp": a.amp, "seconds": round(elapsed),
               "device": a.device, "threads": a.threads, "batch": B, "seq": T, "params": n_params,
               "tokens_seen": step * B * T, "train_tokens": len(data["train"]), "held_tokens": len(data["held"]),
               "extra_files": data.get("extra_files", 0), "extra_bytes": data.get("extra_bytes", 0),
               "train_files": len(data["train_files"]), "held_files": data["held_files"],
               "final_train_loss": history[-1]["loss"] if history else None, "heldout": ev, "args": asdict(args)}
    (work / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    model.to("cpu")
    export_meta(model, out, "BF16", metadata={"format": "pt", "panamax_preset": a.preset})
    tok.save(out / "tokenizer.json")
    if STDLIB.exists():      # (a GPU machine may lack this Python's stdlib: the data came as a cache)
        heldout_prompts(data, tok, out / "heldout-prompts.jsonl", cfg["prompt_chars"])
    print(f"exported to {out}", flush=True)


if __name__ == "__main__":
    main()
