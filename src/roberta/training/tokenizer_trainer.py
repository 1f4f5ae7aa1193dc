"""Train a byte-level BPE vocabulary with RoBERTa's special tokens: <s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence

from .._io import read_json
from .errors import DataError
from .readers import read_lines

SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
MASK_TOKEN = "<mask>"
MIN_VOCAB = len(SPECIAL_TOKENS) + 256 + 1


def _texts(paths: Sequence[str | os.PathLike]) -> Iterator[str]:
    for path in paths:
        seen = False
        for _, line in read_lines(path):
            if line.strip():
                seen = True
                yield line
        if not seen:
            raise DataError(path, "empty corpus file: it holds no text")


def check_new_output(output_dir: str | os.PathLike, overwrite: bool) -> None:
    """Refuse an output path that holds something (a file, or a folder with files, such as a model's), as the
    commands that write a folder do, unless `overwrite`: training into a model folder would replace the tokenizer
    its embeddings were trained for."""
    path = os.fspath(output_dir)
    if not os.path.lexists(path):
        return
    if not os.path.isdir(path):
        raise FileExistsError(f"the output path {path} exists and is not a directory")
    if overwrite or not os.listdir(path):
        return
    raise FileExistsError(
        f"the output path {path} already exists and is not empty; give a new directory, or --overwrite to "
        f"replace the tokenizer files in it"
    )


def train_tokenizer(
    files: Sequence[str | os.PathLike],
    output_dir: str | os.PathLike,
    vocab_size: int = 50265,
    min_frequency: int = 2,
    model_max_length: int = 512,
    log: Callable[[str], None] = lambda s: None,
    overwrite: bool = False,
) -> str:
    """Train byte-level BPE on `files` and save vocab.json, merges.txt, tokenizer.json to `output_dir`.

    All 256 byte symbols are in the vocabulary, so nothing maps to <unk>. The result loads with
    `roberta.RobertaTokenizer(Fast).from_pretrained(output_dir)` and the reference's classes alike.
    `output_dir` must not exist, or be an empty folder, unless `overwrite` (then its tokenizer files are replaced:
    a model folder's config would no longer match them). Checked before any training. Returns `output_dir`.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    from ..tokenizer import RobertaTokenizerFast

    if vocab_size < MIN_VOCAB:
        raise ValueError(f"vocab_size must be at least {MIN_VOCAB} (4 specials + 256 bytes + <mask>)")
    if not files:
        raise ValueError("no training files given")
    check_new_output(output_dir, overwrite)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - 1,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(_texts(files), trainer=trainer)
    with tempfile.TemporaryDirectory() as tmp:
        bpe.model.save(tmp)
        vocab_path, merges_path = os.path.join(tmp, "vocab.json"), os.path.join(tmp, "merges.txt")
        vocab = read_json(vocab_path)
        for i, tok in enumerate(SPECIAL_TOKENS):
            if vocab.get(tok) != i:
                raise RuntimeError(f"BPE trainer put {tok} at {vocab.get(tok)}, expected {i}")
        vocab[MASK_TOKEN] = len(vocab)
        with open(vocab_path, "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
        tok = RobertaTokenizerFast(vocab_file=vocab_path, merges_file=merges_path, model_max_length=model_max_length)
        tok.save_pretrained(output_dir)
    if len(vocab) < vocab_size:
        log(
            f"the corpus supports only {len(vocab):,} tokens (merges seen at least {min_frequency} times): the "
            f"vocabulary has {len(vocab):,} entries, not the {vocab_size:,} asked for"
        )
    return os.fspath(output_dir)
