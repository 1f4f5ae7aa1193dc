#!/usr/bin/env bash
# Recipe for the bundled default model (src/roberta/data/default-model): re-run it to reproduce the weights.
#
#   bash scripts/default_model/train.sh [WORK_DIR] [STOP_AT_STEP]
#
# 1. English text: WordNet 3.0 glosses and example sentences, from Debian's `wordnet-base` package
#    (WordNet 3.0 licence, permissive; see MODEL_CARD.md).
# 2. `roberta pretrain`: the "mini" preset (4 layers x 256, 4 heads), the real roberta-base byte-level BPE
#    vocabulary, FULL-SENTENCES packing to 64 tokens, dynamic masking, bf16 autocast, batch 32, a 9000-step
#    schedule (peak lr 7e-4, 500 warmup steps, linear decay). On a 2-core CPU a step takes ~0.65 s; the
#    bundled weights stopped where the session's time ran out (STOP_AT_STEP; see the model card). Pass a
#    larger STOP_AT_STEP (up to 9000) where there is more time.
# 3. Export: fp16 weights + tokenizer files into the package, then the held-out evaluation.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-/tmp/roberta-default-model}"
stop="${2:-9000}"
vocab="${ROBERTA_BASE_DIR:-$repo/../shared/roberta-base}"
python="${PYTHON:-python3}"
mkdir -p "$work"
cd "$work"
if [ ! -d wordnet ]; then
  apt-get download wordnet-base
  dpkg-deb -x wordnet-base_*.deb pkg
  mv pkg/usr/share/wordnet wordnet
fi
"$python" "$here/build_corpus.py" wordnet text
"$python" -m roberta pretrain text/train.txt --tokenizer "$vocab" --size mini --max-seq-length 64 -o run \
  --max-steps 9000 --stop-at-step "$stop" --batch-size 32 --lr 7e-4 --warmup 500 --log-steps 50 \
  --save-steps 250 --keep-checkpoints 2 --bf16 --seed 0 --validation-file text/heldout.txt --eval-steps 1500 \
  --no-progress
"$python" "$here/export.py" "run/checkpoints/$(cat run/checkpoints/latest)" "$vocab" "$repo/src/roberta/data/default-model" text/heldout.txt
