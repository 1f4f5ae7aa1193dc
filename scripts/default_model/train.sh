#!/usr/bin/env bash
# Recipe for the bundled default model (src/roberta/data/default-model): re-run it to reproduce the weights.
#
#   bash scripts/default_model/train.sh [WORK_DIR] [STOP_AT_STEP]
#
# 1. English text: WordNet 3.0 glosses and example sentences, from Debian's `wordnet-base` package
#    (WordNet 3.0 licence, permissive; see MODEL_CARD.md).
# 2. Stage 1, `roberta pretrain` from scratch on the gloss-style text: the "mini" preset (4 layers x 256,
#    4 heads), the real roberta-base byte-level BPE vocabulary, FULL-SENTENCES packing to 64 tokens, dynamic
#    masking, bf16 autocast, batch 32, a 9000-step schedule (peak lr 7e-4, 500 warmup steps, linear decay)
#    stopped at step 5500 (STOP_AT_STEP) when the session's time ran out. ~1 s a step on 2 CPU cores.
# 3. Stage 2, `roberta pretrain --model` from that checkpoint on the sentence-style text of the same synsets:
#    1000 steps, lr 3e-4 (50 warmup steps) decayed to zero, so the model also reads definitions as running
#    text (stage 1 alone learnt to expect "lemma: ..." after a sentence's first words).
# 4. Export: fp16 weights + tokenizer files into the package, then the held-out evaluation and model card.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-/tmp/roberta-default-model}"
stop="${2:-5500}"
vocab="${ROBERTA_BASE_DIR:-$repo/../shared/roberta-base}"
python="${PYTHON:-python3}"
mkdir -p "$work"
cd "$work"
if [ ! -d wordnet ]; then
  apt-get download wordnet-base
  dpkg-deb -x wordnet-base_*.deb pkg
  mv pkg/usr/share/wordnet wordnet
fi
"$python" "$here/build_corpus.py" wordnet text gloss
"$python" "$here/build_corpus.py" wordnet text2 sentences
"$python" -m roberta pretrain text/train.txt --tokenizer "$vocab" --size mini --max-seq-length 64 -o run \
  --max-steps 9000 --stop-at-step "$stop" --batch-size 32 --lr 7e-4 --warmup 500 --log-steps 50 \
  --save-steps 250 --keep-checkpoints 2 --bf16 --seed 0 --validation-file text/heldout.txt --eval-steps 1500 \
  --no-progress
"$python" -m roberta pretrain text2/train.txt --model "run/checkpoints/$(cat run/checkpoints/latest)" \
  --tokenizer "$vocab" --max-seq-length 64 -o run2 --max-steps 1000 --batch-size 32 --lr 3e-4 --warmup 50 \
  --log-steps 50 --save-steps 250 --keep-checkpoints 4 --bf16 --seed 1 --validation-file text2/heldout.txt \
  --eval-steps 500 --no-progress
"$python" "$here/export.py" run2 "$vocab" "$repo/src/roberta/data/default-model" text2/heldout.txt
