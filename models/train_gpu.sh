#!/bin/bash
# Trains the shipped code-mtp4 and bytes-mtp8 on one CUDA GPU, as their model cards record:
#   1. both models from scratch with the multi-token loss, side by side on the GPU (train.py);
#   2. each model's draft heads (2..n) retrained by self-distillation on its own greedy text
#      (attach_heads.py), which is what greedy self-speculative decoding has to predict.
# The data caches (models/work/<preset>/data.pt.gz) and the training prompts
# (models/work/<preset>/train-prompts.jsonl) are made beforehand on a machine that has the sources
# (see models/README.md), since a GPU machine may lack /usr/lib/python3.11 and dist-packages.
#
#   models/train_gpu.sh OUT [TRAIN_SECONDS] [DISTIL_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: models/train_gpu.sh OUT [TRAIN_SECONDS] [DISTIL_SECONDS]}
T1=${2:-240}
T2=${3:-90}
DEV=${DEVICE:-cuda}
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import torch' 2>/dev/null; then PY=$p; break; fi
  done
fi
mkdir -p "$OUT"
"$PY" -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no cuda")'

# finish STAGE PID_CODE PID_BYTES: waits for both runs of a stage, keeps their summaries, shows their ends.
finish() {
  local stage=$1
  wait "$2" || { tail -n 20 "$OUT/code-mtp4-$stage.log"; exit 1; }
  wait "$3" || { tail -n 20 "$OUT/bytes-mtp8-$stage.log"; exit 1; }
  for m in code-mtp4 bytes-mtp8; do cp "models/work/$m/summary.json" "$OUT/$m-$stage-summary.json"; done
  tail -n 3 "$OUT/code-mtp4-$stage.log" "$OUT/bytes-mtp8-$stage.log"
}

"$PY" models/train.py --preset code-mtp4 --device "$DEV" --amp --time-budget "$T1" --ckpt-every 60 \
    --tokenizer models/code-mtp4/tokenizer.json --out "$OUT/code-mtp4-base" ${BATCH:+--batch $BATCH} > "$OUT/code-mtp4-train.log" 2>&1 &
P1=$!
"$PY" models/train.py --preset bytes-mtp8 --device "$DEV" --amp --time-budget "$T1" --ckpt-every 60 \
    --out "$OUT/bytes-mtp8-base" ${BATCH:+--batch $BATCH} > "$OUT/bytes-mtp8-train.log" 2>&1 &
P2=$!
finish train $P1 $P2

"$PY" models/attach_heads.py --checkpoint "$OUT/code-mtp4-base" --out "$OUT/code-mtp4" --bos 4094 \
    --prompts models/work/code-mtp4/train-prompts.jsonl --temperatures 0,0,0,0.7 --sequences "${CODE_SEQS:-4096}" --gen-batch "${GEN_BATCH:-512}" \
    --seq 256 --batch "${DBATCH:-64}" --steps 1500 --lr 1e-3 --time-budget "$T2" --device "$DEV" --amp --dtype BF16 \
    > "$OUT/code-mtp4-distil.log" 2>&1 &
P3=$!
"$PY" models/attach_heads.py --checkpoint "$OUT/bytes-mtp8-base" --out "$OUT/bytes-mtp8" --bos 256 \
    --prompts models/work/bytes-mtp8/train-prompts.jsonl --temperatures 0,0,0,0.7 --sequences "${BYTES_SEQS:-2048}" --gen-batch "${GEN_BATCH:-512}" \
    --seq 384 --batch "${DBATCH:-32}" --steps 1500 --lr 1e-3 --time-budget "$T2" --device "$DEV" --amp --dtype BF16 \
    > "$OUT/bytes-mtp8-distil.log" 2>&1 &
P4=$!
finish distil $P3 $P4
