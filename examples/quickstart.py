"""Quick start: the bundled model, as a user of Hugging Face Transformers would call it.

    python examples/quickstart.py

Loads the model that ships with the package (a 4-layer RoBERTa pretrained by this project; it reads at most
64 tokens, and its tokenizer says so), fills a mask with the pipeline, then runs the canonical
tokenizer + model snippet on a paragraph longer than the model reads (truncation keeps it in bounds).
"""

import json

import torch

import roberta
from roberta.pipelines import default_model_dir

model_dir = default_model_dir()
fill = roberta.pipeline("fill-mask")
print(json.dumps(fill("Plants create <mask> through a process known as photosynthesis.", top_k=3), indent=1))

tokenizer = roberta.AutoTokenizer.from_pretrained(model_dir)
model = roberta.AutoModelForMaskedLM.from_pretrained(model_dir)
paragraph = " ".join(["The sun warms the sea and the wind carries the rain inland."] * 20)
inputs = tokenizer(paragraph, truncation=True, return_tensors="pt")
with torch.no_grad():
    logits = model(**inputs).logits
print(f"model_max_length={tokenizer.model_max_length}; logits shape {tuple(logits.shape)}")
