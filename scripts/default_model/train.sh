#!/usr/bin/env bash
# Recipe for the bundled default model (src/roberta/data/default-model): re-run it to reproduce the weights.
#
#   bash scripts/default_model/train.sh [WORK_DIR] [MAX_STEPS]
#
# 1. English text: WordNet 3.0 glosses and example sentences, from Debian's `wordnet-base` package
#    (WordNet 3.0 licence, permissive; see MODEL_CARD.md).
# 2. `roberta pretrain`: the "mini" preset (4 layers x 256, 4 heads), the real roberta-base byte-level BPE
#    vocabulary, FULL-SENTENCES packing to 128 tokens, dynamic masking, bf16 autocast, batch 64.
# 3. Export: fp16 weights + tokenizer files into the package, then the held-out evaluation.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-/tmp/roberta-default-model}"
steps="${2:-1200}"
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
"$python" -m roberta pretrain text/train.txt --tokenizer "$vocab" --size mini --max-seq-length 128 -o run \
  --max-steps "$steps" --batch-size 64 --lr 1e-3 --warmup 0.06 --log-steps 10 --save-steps 100 \
  --keep-checkpoints 2 --bf16 --seed 0 --validation-file text/heldout.txt --eval-steps 400 --no-progress
"$python" "$here/export.py" run "$vocab" "$repo/src/roberta/data/default-model" text/heldout.txt
