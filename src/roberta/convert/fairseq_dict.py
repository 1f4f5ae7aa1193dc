"""fairseq's `dict.txt` against a tokenizer's vocabulary: which embedding row holds which token.

A fairseq `Dictionary` gives indices 0-3 to <s> <pad> </s> <unk>, then one index per `dict.txt` line in file
order; the masked-LM task appends <mask> after the last line. With RoBERTa's GPT-2 byte-level BPE, a line's
symbol is a GPT-2 token id written as a number, or a `madeupwordNNNN` filler that pads the table to a multiple
of 8. A checkpoint's embedding rows (and LM-head rows) are in that index order.

A Hugging Face `vocab.json` names tokens by their strings. GPT-2 token ids follow from `merges.txt` alone: the
256 byte symbols in the order of GPT-2's byte table, one id per merge in rank order, then <|endoftext|> (the
order GPT-2's encoder.json was built in). So a tokenizer's vocab.json and merges.txt place every fairseq row;
roberta-base's vocab.json lists its tokens in its dict.txt order, so the original checkpoints keep their order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .._io import decode_lines
from ..tokenizer.bpe import Pair, bytes_to_unicode

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # fairseq's indices 0-3
MASK = "<mask>"
END_OF_TEXT = "<|endoftext|>"
FILLER = "madeupword"
_OVERWRITE = "#fairseq:overwrite"


class DictionaryMismatchError(ValueError):
    """dict.txt does not index the tokens the tokenizer gives: converting would mis-index the model."""


def read_dict(path: str | os.PathLike) -> list[str]:
    """Symbols of a fairseq dict.txt in index order, the four specials first (as fairseq's Dictionary loads it)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"dictionary file not found: {path}")
    symbols = list(SPECIALS)
    seen = set(symbols)
    with open(path, "rb") as f:
        for lineno, line, error in decode_lines(f):
            if error is not None:
                raise ValueError(f"{path}, line {lineno}: {error}; a fairseq dict.txt is UTF-8 text")
            parts = line.rstrip().rsplit(" ", 1)
            if len(parts) == 2 and parts[1] == _OVERWRITE:
                parts = parts[0].rsplit(" ", 1)
            if len(parts) != 2 or not parts[1].lstrip("-").isdigit():
                raise ValueError(f"{path}, line {lineno}: expected '<symbol> <count>', got {line.rstrip()!r}")
            symbol = parts[0]
            if symbol in seen:
                raise ValueError(f"{path}, line {lineno}: symbol {symbol!r} appears twice")
            seen.add(symbol)
            symbols.append(symbol)
    return symbols


def gpt2_tokens(merges: dict[Pair, int]) -> dict[int, str]:
    """GPT-2 token id -> token string, from the merge ranks of a GPT-2 byte-level BPE."""
    byte_symbols = sorted(bytes_to_unicode().values(), key=ord)  # GPT-2's table: printable bytes first
    tokens = dict(enumerate(byte_symbols))
    for (a, b), rank in merges.items():
        tokens[len(byte_symbols) + rank] = a + b
    tokens[len(byte_symbols) + len(merges)] = END_OF_TEXT
    return tokens


@dataclass(frozen=True)
class RowOrder:
    """Where the tokenizer's ids find their fairseq rows."""

    rows: list[int] | None  # rows[token id] = fairseq index; None when they are the same
    has_mask: bool  # the checkpoint has a <mask> row after the dict.txt symbols


def _example(items: list[str], k: int = 5) -> str:
    return ", ".join(repr(x) for x in items[:k]) + (", ..." if len(items) > k else "")


def count_rows(symbols: list[str], num_rows: int, dict_path: str) -> bool:
    """Check that dict.txt indexes exactly the checkpoint's embedding rows; True when the last row is <mask>."""
    if num_rows == len(symbols) + 1:
        return True
    if num_rows == len(symbols):
        return False
    raise DictionaryMismatchError(
        f"the checkpoint's embedding has {num_rows} rows, but {dict_path} gives {len(symbols)} symbols "
        f"(4 specials + {len(symbols) - 4} lines, and <mask> makes one more): this dict.txt does not belong to "
        f"the checkpoint"
    )


def order_rows(
    symbols: list[str],
    has_mask: bool,
    vocab: dict[str, int],
    merges: dict[Pair, int],
    *,
    dict_path: str,
    tokenizer: str,
) -> RowOrder:
    """Match dict.txt's symbols to the tokenizer's vocabulary, or raise `DictionaryMismatchError` saying which
    tokenizer fits."""
    gpt2 = gpt2_tokens(merges)
    strings, foreign = [], []
    for index, symbol in enumerate(symbols):
        if index < len(SPECIALS) or symbol.startswith(FILLER):
            strings.append(symbol)
        elif symbol.isdigit() and int(symbol) in gpt2:
            strings.append(gpt2[int(symbol)])
        else:
            strings.append(symbol)
            foreign.append((index - len(SPECIALS) + 1, symbol))  # (line in dict.txt, symbol)
    if has_mask:
        strings.append(MASK)
    none_hint = "--tokenizer none writes the weights alone, rows in dict.txt order"
    if foreign and len(foreign) > len(symbols) // 2:
        line, symbol = foreign[0]
        raise DictionaryMismatchError(
            f"{dict_path} is not a GPT-2 BPE dictionary (line {line} holds {symbol!r}, not a GPT-2 token id): the "
            f"model needs the tokenizer it was trained with, not {tokenizer}'s byte-level BPE (XLM-R and CamemBERT, "
            f"for example, use sentencepiece, which roberta does not provide); {none_hint}"
        )
    known = set(strings)
    missing = [s for s in strings if s not in vocab]
    extra = [t for t in vocab if t not in known]
    if missing or extra:
        raise DictionaryMismatchError(
            f"{dict_path} does not index the vocabulary of {tokenizer}: {len(missing)} of its {len(strings)} "
            f"tokens are not in the tokenizer ({_example(missing) or 'none'}) and {len(extra)} tokenizer tokens are "
            f"not in it ({_example(extra) or 'none'}). The model's ids follow dict.txt, so this tokenizer would "
            f"mis-index it. The tokenizer that fits is the one it was trained with: pass --tokenizer DIR (vocab.json "
            f"+ merges.txt holding exactly these tokens), or {none_hint}"
        )
    index_of = {s: i for i, s in enumerate(strings)}
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise DictionaryMismatchError(f"the ids of {tokenizer}'s vocab.json are not 0..{len(vocab) - 1}")
    rows = [index_of[token] for token, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    return RowOrder(rows=None if rows == list(range(len(rows))) else rows, has_mask=has_mask)
