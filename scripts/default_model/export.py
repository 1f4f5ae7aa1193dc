"""Export a `roberta pretrain` run as the bundled default model, evaluate it, and write its model card.

    python export.py RUN_DIR TOKENIZER_DIR TARGET_DIR HELDOUT_TXT [HELDOUT_TXT ...]

Weights are stored in fp16 safetensors next to the roberta-base tokenizer files. The card reports masked-token
accuracy on each held-out text (15% of tokens replaced by <mask>, top-1 and top-5) and the fill-mask answers for
a few everyday sentences.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

import roberta
from roberta.training.data import pack_documents, pad_batch
from roberta.training.shards import tokenized_documents

SENTENCES = [
    "Plants create <mask> through a process known as photosynthesis.",
    "The capital of France is <mask>.",
    "A dog is a domestic <mask>.",
    "She drank a glass of <mask>.",
    "The sun rises in the <mask>.",
]
TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")


def heldout_accuracy(model, tokenizer, path: Path, seed: int = 0) -> dict[str, float]:
    """Masked-token accuracy on `path`, read and packed into sequences exactly as `roberta pretrain` does."""
    sequences = list(
        pack_documents(
            tokenized_documents([path], tokenizer),
            model.config.max_position_embeddings - 2,
            tokenizer.bos_token_id,
            tokenizer.eos_token_id,
        )
    )
    g = torch.Generator().manual_seed(seed)
    hit1 = hit5 = total = 0
    for start in range(0, len(sequences), 32):
        batch = pad_batch([np.asarray(q) for q in sequences[start : start + 32]], tokenizer.pad_token_id)
        ids, mask = batch["input_ids"], batch["attention_mask"]
        special = (ids == tokenizer.bos_token_id) | (ids == tokenizer.eos_token_id) | (mask == 0)
        chosen = (torch.rand(ids.shape, generator=g) < 0.15) & ~special
        inputs = ids.masked_fill(chosen, tokenizer.mask_token_id)
        with torch.no_grad():
            logits = model(input_ids=inputs, attention_mask=mask).logits[chosen]
        top5 = logits.topk(5, dim=-1).indices
        target = ids[chosen]
        hit1 += int((top5[:, 0] == target).sum())
        hit5 += int((top5 == target[:, None]).any(-1).sum())
        total += int(chosen.sum())
    return {"masked_tokens": total, "top1_accuracy": hit1 / total, "top5_accuracy": hit5 / total}


def main(run_dir: str, tokenizer_dir: str, target: str, *heldout: str) -> None:
    out = Path(target)
    staging = out.with_name(out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    model = roberta.RobertaForMaskedLM.from_pretrained(run_dir).half()
    model.save_pretrained(staging)
    for name in TOKENIZER_FILES:
        shutil.copy(Path(tokenizer_dir) / name, staging / name)
    model = roberta.RobertaForMaskedLM.from_pretrained(staging).eval()  # as users get it: fp16 -> fp32
    tokenizer = roberta.RobertaTokenizerFast.from_pretrained(staging)
    scores = {f"{Path(h).parent.name}/{Path(h).name}": heldout_accuracy(model, tokenizer, Path(h)) for h in heldout}
    fill = roberta.pipeline("fill-mask", model=model, tokenizer=tokenizer)
    answers = {s: [r["token_str"].strip() for r in fill(s, top_k=5)] for s in SENTENCES}
    summary = Path(run_dir) / "train_results.json"  # written by a finished `roberta pretrain` run
    results = {k: v for k, v in json.loads(summary.read_text()).items() if k in ("step", "loss", "eval_loss")}
    card = (
        Path(__file__)
        .with_name("MODEL_CARD.template.md")
        .read_text()
        .replace("{{SCORES}}", json.dumps(scores, indent=1))
        .replace("{{ANSWERS}}", "\n".join(f"| {s} | {', '.join(a)} |" for s, a in answers.items()))
        .replace("{{TRAIN}}", json.dumps(results, indent=1))
        .replace("{{PARAMS}}", f"{model.num_parameters() / 1e6:.1f}M")
        .replace("{{POSITIONS}}", str(model.config.max_position_embeddings))
        .replace("{{SEQ}}", str(model.config.max_position_embeddings - 2))
        .replace("{{STEP}}", str(results.get("step", "?")))
    )
    (staging / "README.md").write_text(card, encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    print(json.dumps({"scores": scores, "answers": answers}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
