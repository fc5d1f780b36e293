#!/usr/bin/python3
"""Trains the tiny KAN that `./panamax demo` runs, and saves it as an efficient-kan checkpoint.

The network follows efficient-kan's formulation (the layer is bench/kan_torch.py's, the baseline of
`panamax bench kan`, written from that description, not copied): each
layer computes  silu(x) @ base_weight.T  +  B(x) @ (spline_weight * spline_scaler).T  where B(x) are
the order-k B-spline bases on a uniform grid of G intervals over grid_range, extended by k knots on
each side. The state-dict names are efficient-kan's (layers.{l}.grid, base_weight, spline_weight,
spline_scaler), and config.json holds its constructor arguments, so Panamax loads the folder with
`KanModel.load(Path.of("models/kan-expsin"))` exactly as it loads a user's efficient-kan model.

The toy target is pykan's introductory formula  f(x, y) = exp(sin(pi x) + y^2)  on [-1, 1]^2.

    /usr/bin/python3 models/train_kan.py            # writes models/kan-expsin/ (a few KB, ~20 s)
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

# The layer is the PyTorch baseline of `panamax bench kan`: one implementation of efficient-kan's formulation.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from kan_torch import KanLinear  # noqa: E402


class Kan(torch.nn.Module):
    def __init__(self, widths, grid_size, spline_order, grid_range):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            KanLinear(a, b, grid_size, spline_order, grid_range[0], grid_range[1]) for a, b in zip(widths, widths[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def target(x):
    return torch.exp(torch.sin(math.pi * x[:, 0]) + x[:, 1] ** 2).unsqueeze(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "kan-expsin"))
    ap.add_argument("--widths", default="2,5,1")
    ap.add_argument("--grid", type=int, default=5)
    ap.add_argument("--order", type=int, default=3)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    widths = [int(w) for w in args.widths.split(",")]
    config = {"layers_hidden": widths, "grid_size": args.grid, "spline_order": args.order, "scale_noise": 0.1,
              "scale_base": 1.0, "scale_spline": 1.0, "base_activation": "SiLU", "grid_eps": 0.02,
              "grid_range": [-1.0, 1.0], "enable_standalone_scale_spline": True}
    model = Kan(widths, args.grid, args.order, config["grid_range"])

    train_x = torch.rand(4096, 2) * 2 - 1
    train_y = target(train_x)
    test_x = torch.rand(1024, 2) * 2 - 1
    test_y = target(test_x)
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.steps)
    t0 = time.time()
    for step in range(1, args.steps + 1):
        loss = F.mse_loss(model(train_x), train_y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 250 == 0 or step == args.steps:
            with torch.no_grad():
                test_rmse = F.mse_loss(model(test_x), test_y).sqrt().item()
            eta = (time.time() - t0) / step * (args.steps - step)
            print(f"step {step}/{args.steps}  train rmse {loss.sqrt().item():.4f}  test rmse {test_rmse:.4f}  eta {eta:.0f}s",
                  flush=True)

    os.makedirs(args.out, exist_ok=True)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(args.out, "model.pt"))
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")

    # Sample inputs for the demo, and what this model and the formula give on them (for the tests).
    g = torch.Generator().manual_seed(args.seed + 1)
    samples = torch.rand(16, 2, generator=g) * 2 - 1
    with torch.no_grad():
        pred = model(samples)
    truth = target(samples)
    with open(os.path.join(args.out, "samples.csv"), "w", newline="") as f:
        w = csv.writer(f)
        for row in samples.tolist():
            w.writerow([repr(v) for v in row])
    with open(os.path.join(args.out, "samples-expected.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kan_torch", "formula"])
        for p, t in zip(pred[:, 0].tolist(), truth[:, 0].tolist()):
            w.writerow([repr(p), repr(t)])
    params = sum(p.numel() for p in model.parameters())
    summary = {"params": params, "steps": args.steps, "seconds": round(time.time() - t0, 1),
               "test_rmse": round(test_rmse, 5), "seed": args.seed}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
