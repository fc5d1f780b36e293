#!/usr/bin/python3
"""PyTorch baseline for `panamax bench kan`: KAN layers written the way efficient-kan formulates them.

out = silu(x) @ base_weight.T + B(x).flatten(1) @ (spline_weight * spline_scaler).flatten(1).T,
with B(x) every B-spline basis of x from the Cox-de Boor recursion on a uniform grid extended by k
knots each side. Random parameters; only the speed matters here.

Usage: kan_torch.py SECONDS SPEC...   with SPEC = name:g:k:w0,w1,...:b1,b2,...
Prints one JSON object per (model, batch): {"model", "batch", "samples_per_second", "rounds"}: calls
over SECONDS after the same warm-up Panamax's side gets (until_steady), so that neither side is timed
cold, and the slowest and the fastest of the ten rounds those SECONDS are timed in.
Each call takes the next of a fixed set of distinct batches, the same floats Panamax's side cycles
through (inputs(), KanBench.inputs), so that no side is timed on one input repeated.
"""
import json
import os
import sys
import time

# `panamax bench kan` runs this script twice, with OMP_WAIT_POLICY=ACTIVE and =PASSIVE, and keeps
# the faster figure of each row: neither libgomp setting (nor its default) is PyTorch's best everywhere.

import torch
import torch.nn.functional as F

class KanLinear(torch.nn.Module):
    def __init__(self, n_in, n_out, g, k, lo=-1.0, hi=1.0):
        super().__init__()
        self.k = k
        h = (hi - lo) / g
        knots = torch.arange(-k, g + k + 1, dtype=torch.float32) * h + lo
        self.register_buffer("grid", knots.expand(n_in, -1).contiguous())
        self.base_weight = torch.nn.Parameter(torch.randn(n_out, n_in) / n_in ** 0.5)
        self.spline_weight = torch.nn.Parameter(torch.randn(n_out, n_in, g + k) * 0.1)
        self.spline_scaler = torch.nn.Parameter(torch.ones(n_out, n_in))

    def bases(self, x):
        t = self.grid
        x = x.unsqueeze(-1)
        b = ((x >= t[:, :-1]) & (x < t[:, 1:])).to(x.dtype)
        for d in range(1, self.k + 1):
            left = (x - t[:, : -(d + 1)]) / (t[:, d:-1] - t[:, : -(d + 1)]) * b[:, :, :-1]
            right = (t[:, d + 1:] - x) / (t[:, d + 1:] - t[:, 1:-d]) * b[:, :, 1:]
            b = left + right
        return b

    def forward(self, x):
        base = F.linear(F.silu(x), self.base_weight)
        w = (self.spline_weight * self.spline_scaler.unsqueeze(-1)).view(self.spline_weight.shape[0], -1)
        return base + F.linear(self.bases(x).view(x.shape[0], -1), w)


def input_sets(batch):
    """How many distinct batches a batch size cycles through: KanBench.inputSets's rule."""
    return max(1, min(64, 65536 // batch))


def inputs(batch, width, seed=42):
    """input_sets(batch) batches of batch x width floats in [-1, 1), the floats KanBench.inputs makes:
    float i of them all is a 32-bit integer hash of i and the seed, its top 24 bits scaled (exact in
    int64 and float32, so both sides get the same bits)."""
    sets = input_sets(batch)
    h = (torch.arange(sets * batch * width, dtype=torch.int64) + seed * 0x9E3779B9) & 0xFFFFFFFF
    h = (((h >> 16) ^ h) * 0x45D9F3B) & 0xFFFFFFFF
    h = (((h >> 16) ^ h) * 0x45D9F3B) & 0xFFFFFFFF
    h = (h >> 16) ^ h
    x = (h >> 8).to(torch.float32) * 2.0 ** -23 - 1
    return list(x.view(sets, batch, width).unbind(0))


def timed_calls(model, xs, n, seconds):
    """Calls model on the inputs in turn, from the n-th, until `seconds` have passed (at least once):
    (calls made, seconds taken), as KanBench.slice times a round."""
    calls, start = 0, time.perf_counter()
    while True:
        model(xs[(n + calls) % len(xs)])
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls, elapsed


def until_steady(model, xs):
    """Warm-up as Panamax's bench gets it (KanBench.untilSteady): 50 ms chunks of calls, on the inputs
    in turn, until three chunks in a row are not 5% faster per call than the best before, 150 ms to 5 s."""
    best, stale, start, n = float("inf"), 0, time.perf_counter(), 0
    while stale < 3 and time.perf_counter() - start < 5.0:
        calls, elapsed = timed_calls(model, xs, n, 0.05)
        n += calls
        per_call = elapsed / calls
        stale = 0 if per_call < 0.95 * best else stale + 1
        best = min(best, per_call)


ROUNDS = 10


def samples_per_second(model, n_in, batch, seconds):
    """Samples per second over `seconds`, timed as ROUNDS rounds of seconds / ROUNDS back to back
    (as KanBench.measurePair's rounds), and the slowest and the fastest round's samples per second."""
    xs = inputs(batch, n_in)
    with torch.inference_mode():
        until_steady(model, xs)
        runs, total, rates = 0, 0.0, []
        for _ in range(ROUNDS):
            calls, elapsed = timed_calls(model, xs, runs, seconds / ROUNDS)
            runs += calls
            total += elapsed
            rates.append(calls * batch / elapsed)
        return runs * batch / total, min(rates), max(rates)


def main():
    torch.set_num_threads(int(os.environ.get("KAN_TORCH_THREADS", "2")))
    seconds = float(sys.argv[1])
    torch.manual_seed(0)
    for spec in sys.argv[2:]:
        name, g, k, widths, batches = spec.split(":")
        widths = [int(w) for w in widths.split(",")]
        layers = [KanLinear(a, b, int(g), int(k)) for a, b in zip(widths, widths[1:])]
        model = torch.nn.Sequential(*layers).eval()
        for batch in (int(b) for b in batches.split(",")):
            sps, slowest, fastest = samples_per_second(model, widths[0], batch, seconds)
            print(json.dumps({"model": name, "batch": batch, "samples_per_second": sps, "rounds": [slowest, fastest]}), flush=True)


if __name__ == "__main__":
    main()
