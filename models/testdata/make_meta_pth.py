#!/usr/bin/python3
"""Writes engine/src/test/resources/refmodels/meta-mtp3-pth/: the meta-mtp3-f32 reference model saved
the way Meta ships checkpoints (params.json + consolidated.00.pth, a torch.save zip of the state
dict, BF16 like Meta's releases), so the engine's tests cover the .pth path of the Meta layout.
Run once with /usr/bin/python3 (needs torch); tests never run Python.
"""
import shutil
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "models"))
from panamax_ref.export import read_safetensors  # noqa: E402

src = ROOT / "engine/src/test/resources/refmodels/meta-mtp3-f32"
out = ROOT / "engine/src/test/resources/refmodels/meta-mtp3-pth"
out.mkdir(exist_ok=True)
shutil.copy(src / "params.json", out / "params.json")
state = {k: v.to(torch.bfloat16).contiguous() for k, v in read_safetensors(src / "model.safetensors").items()}
torch.save(state, out / "consolidated.00.pth")
print("wrote", out)
