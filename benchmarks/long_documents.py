"""A long document classified and embedded with windows, against the same windows run one by one through the
reference (transformers), as a ratio of wall times.

    python benchmarks/long_documents.py [--tokens 10000] [--length 512] [--stride 128] [--repeats 3]
                                        [--hidden 768 --layers 12] [--device cpu]

A random-weight model of the given size (no download) with the real roberta-base tokenizer (../shared or
--tokenizer DIR). The document is real prose (benchmarks/run.py's corpus), cut to --tokens tokens. Ours:
`pipeline("text-classification")(doc, window=...)` and `pipeline("sentence-embedding")(doc, window=...)`,
batching the windows. Reference: the same windows (the reference tokenizer's stride overflow), one forward
pass each through `transformers.RobertaForSequenceClassification` / `RobertaModel`, then the same
aggregate. Prints one JSON line per task: seconds (best of --repeats) and reference / ours. The answers are
checked to agree before anything is timed. Results go in benchmarks/RESULTS.md, not in code comments.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import corpus  # noqa: E402

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")


def document(tokenizer, n_tokens: int) -> str:
    text = " ".join(block.replace("\n", " ") for block in corpus(max(200_000, n_tokens * 8)))
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][:n_tokens]
    return tokenizer.decode(ids)


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--stride", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--tokenizer", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "roberta-base")
    )
    args = parser.parse_args()

    import shutil

    import transformers

    from roberta import pipeline

    transformers.logging.set_verbosity_error()
    config = transformers.RobertaConfig(
        hidden_size=args.hidden,
        num_hidden_layers=args.layers,
        num_attention_heads=max(1, args.hidden // 64),
        intermediate_size=args.hidden * 4,
        max_position_embeddings=args.length + 2,
        num_labels=3,
    )
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        path = Path(tmp)
        ref_cls = transformers.RobertaForSequenceClassification(config).eval()
        ref_cls.save_pretrained(path)
        for name in TOKENIZER_FILES:
            shutil.copy(Path(args.tokenizer) / name, path / name)
        ref_cls.to(device)
        ref_base = transformers.RobertaModel.from_pretrained(str(path), add_pooling_layer=False).eval().to(device)
        tok = transformers.AutoTokenizer.from_pretrained(str(path))
        doc = document(tok, args.tokens)
        windows = tok(doc, truncation=True, max_length=args.length, stride=args.stride, return_overflowing_tokens=True)
        windows = [torch.tensor([w], device=device) for w in windows["input_ids"]]
        window = {"length": args.length, "stride": args.stride, "aggregate": "mean"}

        def reference_classify() -> torch.Tensor:
            with torch.inference_mode():
                return torch.stack([ref_cls(w).logits[0] for w in windows]).mean(0)

        def reference_embed() -> torch.Tensor:
            with torch.inference_mode():
                states = [ref_base(w).last_hidden_state[0] for w in windows]
            sizes = torch.tensor([[len(s)] for s in states], dtype=torch.float32, device=device)
            mean = (torch.stack([s.mean(0) for s in states]) * sizes).sum(0) / sizes.sum()
            return torch.nn.functional.normalize(mean, dim=-1)

        classify = pipeline("text-classification", model=str(path), device=args.device, batch_size=args.batch_size)
        embed = pipeline("sentence-embedding", model=str(path), device=args.device, batch_size=args.batch_size)
        ours = {
            "text-classification": lambda: classify(doc, window=window, top_k=None, function_to_apply="none"),
            "sentence-embedding": lambda: embed(doc, window=window, return_tensors=True),
        }
        reference = {"text-classification": reference_classify, "sentence-embedding": reference_embed}
        got = sorted(ours["text-classification"](), key=lambda r: r["label"])
        assert torch.allclose(torch.tensor([r["score"] for r in got]), reference_classify().cpu(), atol=1e-4)
        assert torch.allclose(ours["sentence-embedding"]().cpu(), reference_embed().cpu(), atol=1e-4)
        for task in ours:
            mine, theirs = best(ours[task], args.repeats), best(reference[task], args.repeats)
            row = {"task": task, "tokens": args.tokens, "windows": len(windows), "window": window}
            row.update({"ours_s": round(mine, 4), "reference_s": round(theirs, 4), "ratio": round(theirs / mine, 3)})
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
