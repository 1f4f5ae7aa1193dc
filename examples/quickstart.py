"""Quick start: build a small random-weight RoBERTa checkpoint, load it back with the real roberta-base
tokenizer files, and run it. (Replaced by the bundled pretrained model once it ships.)"""

import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch

import roberta

here = Path(__file__).resolve().parent
vocab_dir = next(
    (
        p
        for p in (
            here.parent / "src" / "roberta" / "data" / "roberta-base",
            here.parent.parent / "shared" / "roberta-base",
        )
        if (p / "vocab.json").exists()
    ),
    None,
)
if vocab_dir is None:
    sys.exit("roberta-base tokenizer files not found")

with tempfile.TemporaryDirectory() as ckpt:
    torch.manual_seed(0)
    config = roberta.RobertaConfig(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=514,
        type_vocab_size=1,
    )
    roberta.RobertaForMaskedLM(config).save_pretrained(ckpt)
    for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(vocab_dir / name, ckpt)

    tokenizer = roberta.AutoTokenizer.from_pretrained(ckpt)
    model = roberta.AutoModelForMaskedLM.from_pretrained(ckpt)
    text = "Plants create <mask> through a process known as photosynthesis."
    inputs = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    where = (inputs.input_ids == tokenizer.mask_token_id)[0].nonzero()[0, 0]
    top = logits[0, where].softmax(-1).topk(5)
    print(
        json.dumps(
            {
                "text": text,
                "ids": inputs.input_ids[0].tolist(),
                "top5 (random weights)": [tokenizer.decode(int(i)) for i in top.indices],
            },
            indent=1,
        )
    )
