#!/usr/bin/python3
"""Writes the small weight files the io tests read (models/testdata/formats/), and a summary of
the shared KAN checkpoints as PyTorch itself loads them. Run once with /usr/bin/python3 (needs torch);
tests never run Python.

Every tensor holds v(i) = i * 0.25 - 1 (floats), i * 3 - 2 (ints) or i % 2 == 0 (bool) in
row-major order, so the Java tests can recompute each element without a table.
"""
import collections, json, os, struct, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "formats")
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "kan"))


def values(dtype, *shape):
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.float64)
    if dtype == torch.bool:
        t = (torch.arange(n) % 2) == 0
    elif dtype.is_floating_point:
        t = (i * 0.25 - 1).to(dtype)
    else:
        t = (torch.arange(n, dtype=torch.int64) * 3 - 2).to(dtype)
    return t.reshape(shape)


def torch_fixtures():
    base = values(torch.float32, 10)
    sd = collections.OrderedDict()
    sd["f32"] = values(torch.float32, 3, 4)
    sd["f64"] = values(torch.float64, 5)
    sd["bf16"] = values(torch.bfloat16, 2, 3)
    sd["f16"] = values(torch.float16, 4)
    sd["i64"] = values(torch.int64, 3)
    sd["i32"] = values(torch.int32, 2, 2)
    sd["bool"] = values(torch.bool, 5)
    sd["scalar"] = torch.tensor(-1.0)
    sd["empty"] = torch.zeros(0, 3)
    sd["base"] = base
    sd["view"] = base[2:]            # shares base's storage, at element offset 2
    sd["tied"] = sd["f32"]           # the same tensor under two names (tied weights)
    sd["column"] = values(torch.float32, 4, 1)
    torch.save(sd, os.path.join(OUT, "state_dict.pt"))

    model = collections.OrderedDict(w=values(torch.float32, 2, 2), layers=[values(torch.float64, 3), values(torch.float64, 3)])
    ckpt = {"epoch": 3, "lr": 0.5, "name": "run", "flag": True, "none": None, "model": model}
    torch.save(ckpt, os.path.join(OUT, "checkpoint.pt"))

    torch.save({"t": values(torch.float32, 2, 3).t()}, os.path.join(OUT, "noncontiguous.pt"))


DT = {torch.float32: "F32", torch.float64: "F64", torch.bfloat16: "BF16", torch.float16: "F16",
      torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL"}


def safetensors_fixture():
    """safetensors written by hand from the format's description (the package is not installed)."""
    tensors = {"f32": values(torch.float32, 3, 4), "bf16": values(torch.bfloat16, 2, 3),
               "f16": values(torch.float16, 4), "f64": values(torch.float64, 5),
               "i64": values(torch.int64, 3), "i32": values(torch.int32, 2, 2), "bool": values(torch.bool, 5)}
    header, blobs, offset = {"__metadata__": {"format": "pt", "source": "make_format_fixtures.py"}}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dtype != torch.bool else t.to(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": DT[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(os.path.join(OUT, "small.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def kan_summary():
    """Names, dtypes, shapes and sums (plain, and weighted by position to catch reordering) of every tensor in the shared KAN checkpoints, as torch reads them."""
    out = {}
    for root, _, files in sorted(os.walk(SHARED)):
        for f in sorted(files):
            if f in ("model_state", "model.pt"):
                path = os.path.join(root, f)
                sd = torch.load(path, map_location="cpu")
                out[os.path.relpath(path, os.path.dirname(SHARED))] = {
                    k: {"dtype": DT[v.dtype], "shape": list(v.shape), "sum": float(v.double().sum()),
                        "weighted_sum": float((v.double().reshape(-1) * (torch.arange(v.numel()) % 7 + 1)).sum()),
                        "first": float(v.reshape(-1)[0]) if v.numel() else None}
                    for k, v in sd.items()}
    with open(os.path.join(OUT, "kan_summary.json"), "w") as f:
        json.dump(out, f, sort_keys=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch_fixtures()
    safetensors_fixture()
    if os.path.isdir(SHARED):
        kan_summary()
    else:
        print("no shared KAN data at", SHARED, "- kan_summary.json not rewritten", file=sys.stderr)
