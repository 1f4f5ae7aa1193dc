"""`roberta convert fairseq model.pt --dict dict.txt -o DIR`: an original fairseq RoBERTa checkpoint -> a model
directory. Bad input (a missing file, an output path that exists, a dictionary that does not fit) exits with
status 2 and one line on stderr."""

from __future__ import annotations

import argparse

import torch

from .errors import user_errors
from .parser import add_only_choice

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    summary = "a fairseq RoBERTa model.pt + dict.txt (read without running any code from the file)"
    description = (
        "Convert a fairseq RoBERTa checkpoint (model.pt + dict.txt) into a model directory that "
        "roberta and transformers load. The pickle is read without running any code from it."
    )
    p = add_only_choice(parser, "format", "fairseq", "DIR", help=summary, description=description)
    p.add_argument("checkpoint", help="fairseq's model.pt")
    p.add_argument("--dict", required=True, dest="dict_path", metavar="DICT", help="the dict.txt it was trained with")
    p.add_argument(
        "--head",
        default=None,
        metavar="NAME",
        help="convert classification_heads.NAME into RobertaForSequenceClassification (default: the masked-LM head)",
    )
    p.add_argument(
        "--labels",
        default=None,
        metavar="A,B,C|FILE",
        help="the head's label names, comma-separated or fairseq's label/dict.txt (default: LABEL_0, ...)",
    )
    p.add_argument(
        "--tokenizer",
        default=None,
        metavar="DIR|none",
        help="vocab.json + merges.txt the model was trained with (default: the bundled roberta-base vocabulary); "
        "'none' writes the weights alone, rows in dict.txt order",
    )
    p.add_argument("--dtype", choices=sorted(_DTYPES), default="float32", help="dtype of the written weights")


def main(args: argparse.Namespace) -> int:
    from ..convert.fairseq import convert_fairseq

    no_tokenizer = args.tokenizer is not None and args.tokenizer.lower() == "none"
    with user_errors():
        result = convert_fairseq(
            args.checkpoint,
            args.dict_path,
            args.output,
            head=args.head,
            labels=args.labels,
            tokenizer=None if no_tokenizer else args.tokenizer,
            write_tokenizer=not no_tokenizer,
            dtype=_DTYPES[args.dtype],
        )
    c = result.config
    print(
        f"wrote {result.model_class} to {result.output_dir}: {c.num_hidden_layers} layers, hidden {c.hidden_size}, "
        f"{c.num_attention_heads} heads, vocabulary {c.vocab_size}, {args.dtype}"
    )
    if c.architectures == ["RobertaForSequenceClassification"]:
        print(f"labels: {', '.join(c.id2label[i] for i in sorted(c.id2label))}")
    print(f"tokenizer: {result.tokenizer or 'none written'}")
    for note in result.notes:
        print(f"note: {note}")
    return 0
