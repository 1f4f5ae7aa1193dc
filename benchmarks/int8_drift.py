"""Accuracy drift of the opt-in int8 mode on real text, with the bundled default model.

    python benchmarks/int8_drift.py [MODEL_DIR] [--sentences N]

Real text: English prose from the licence texts and the standard library's docstrings (benchmarks/run.py's
corpus). Two figures, fp32 against `quantize_int8` on the same model:
- cosine similarity of the last hidden state, per real token (mean and 1st percentile);
- fill-mask top-1 agreement: one word per sentence replaced by `<mask>`, does the int8 model's first choice
  equal the fp32 model's? Also how often each one's first choice is the word that was masked.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import corpus  # noqa: E402


def sentences(limit: int) -> list[str]:
    out = []
    for block in corpus(2_000_000):
        for line in block.replace("\n", " ").split(". "):
            words = line.split()
            if 8 <= len(words) <= 40 and all(w.isascii() for w in words) and sum(w.isalpha() for w in words) > 6:
                out.append(" ".join(words))
    random.Random(0).shuffle(out)
    return out[:limit]


def main() -> None:
    import roberta
    from roberta.inference import quantize_int8
    from roberta.pipelines import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=str(default_model_dir()))
    parser.add_argument("--sentences", type=int, default=400)
    args = parser.parse_args()
    torch.set_num_threads(2)
    tok = roberta.AutoTokenizer.from_pretrained(args.model)
    fp32 = roberta.RobertaForMaskedLM.from_pretrained(args.model, dtype=torch.float32).eval()
    int8 = quantize_int8(copy.deepcopy(fp32))
    rng = random.Random(1)
    cos, agree, right32, right8, n = [], 0, 0, 0, 0
    with torch.inference_mode():
        for text in sentences(args.sentences):
            words = text.split()
            candidates = [i for i, w in enumerate(words) if w.isalpha() and i > 0]
            i = rng.choice(candidates)
            target = tok.encode(" " + words[i], add_special_tokens=False)
            words[i] = "<mask>"
            enc = tok(
                " ".join(words),
                return_tensors="pt",
                truncation=True,
                max_length=fp32.config.max_position_embeddings - 2,
            )
            where = enc["input_ids"][0] == tok.mask_token_id
            if not where.any():  # the mask fell beyond the model's length
                continue
            a = fp32(**enc, output_hidden_states=True)
            b = int8(**enc, output_hidden_states=True)
            cos.append(torch.nn.functional.cosine_similarity(a.hidden_states[-1][0], b.hidden_states[-1][0], dim=-1))
            top_a, top_b = a.logits[0][where].argmax(-1), b.logits[0][where].argmax(-1)
            agree += int(top_a[0] == top_b[0])
            if len(target) == 1:
                right32 += int(top_a[0] == target[0])
                right8 += int(top_b[0] == target[0])
            n += 1
    c = torch.cat(cos)
    print(f"model: {args.model}")
    print(f"sentences: {n}, tokens: {c.numel()}")
    print(f"hidden-state cosine: mean {c.mean():.5f}, 1st percentile {c.quantile(0.01):.5f}, min {c.min():.5f}")
    print(f"fill-mask top-1 agreement int8 vs fp32: {agree / n:.3f}")
    print(f"top-1 equals the masked word: fp32 {right32 / n:.3f}, int8 {right8 / n:.3f}")


if __name__ == "__main__":
    main()
