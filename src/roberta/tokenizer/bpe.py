"""Byte-level byte-pair encoding (GPT-2 / RoBERTa style), independent of file formats and special tokens.

Text is split by the GPT-2 pre-tokenization regex, each piece's UTF-8 bytes are mapped to printable
unicode characters, and the merges (ranked pairs) are applied greedily, lowest rank first. Merge ranks
are kept apart from token ids: in RoBERTa's vocabulary the ids are not the merge ranks.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

Pair = tuple[str, str]


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """Map every byte value 0..255 to a printable unicode character (GPT-2's reversible table)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return dict(sorted(table.items()))


@functools.cache
def unicode_to_bytes() -> dict[str, int]:
    """Inverse of `bytes_to_unicode`."""
    return {c: b for b, c in bytes_to_unicode().items()}


@functools.cache
def _latin1_translation() -> dict[int, str]:
    # A piece's UTF-8 bytes decoded as latin-1 give one code point per byte; translate maps them.
    return {b: c for b, c in bytes_to_unicode().items()}


@functools.cache
def pretokenizer_regex() -> regex.Pattern[str]:
    """The compiled GPT-2 pre-tokenization pattern (compiled once, on first use)."""
    return regex.compile(GPT2_PATTERN)


def bytes_to_symbols(text: str) -> str:
    """Map `text`'s UTF-8 bytes to the byte-level alphabet (e.g. " Hello" -> "ĠHello")."""
    return text.encode("utf-8").decode("latin-1").translate(_latin1_translation())


def symbols_to_bytes(symbols: str) -> bytes:
    """Inverse of `bytes_to_symbols`; characters outside the alphabet are kept as their UTF-8 bytes."""
    table = unicode_to_bytes()
    out = bytearray()
    for ch in symbols:
        b = table.get(ch)
        if b is None:
            out += ch.encode("utf-8")
        else:
            out.append(b)
    return bytes(out)


def load_vocab(path: str | os.PathLike) -> dict[str, int]:
    """Read a `vocab.json` (token -> id) and check its shape; errors name the file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"vocabulary file not found: {path}")
    try:
        with open(path, encoding="utf-8") as f:
            vocab = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}); expected an object mapping token -> id") from None
    if not isinstance(vocab, dict):
        raise ValueError(f"{path} must hold a JSON object mapping token -> id, got {type(vocab).__name__}")
    for token, index in vocab.items():
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError(f"{path}: id of token {token!r} must be a non-negative integer, got {index!r}")
    return vocab


def parse_merges(lines: Iterable[str], source: str = "<merges>") -> dict[Pair, int]:
    """Parse merges lines ("a b" each, optional leading "#version" line) into pair -> rank."""
    ranks: dict[Pair, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if lineno == 1 and line.startswith("#version"):
            continue
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"{source}, line {lineno}: a merge must be two tokens separated by a space, got {line!r}")
        pair = (parts[0], parts[1])
        if pair not in ranks:
            ranks[pair] = len(ranks)
    return ranks


def load_merges(path: str | os.PathLike) -> dict[Pair, int]:
    """Read a `merges.txt` into pair -> rank; errors name the file and line."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"merges file not found: {path}")
    with open(path, encoding="utf-8") as f:
        return parse_merges(f.read().split("\n"), source=path)


def format_merges(ranks: dict[Pair, int]) -> str:
    """Serialise pair -> rank as a `merges.txt` text (with the "#version: 0.2" header)."""
    lines = ["#version: 0.2"] + [f"{a} {b}" for (a, b), _ in sorted(ranks.items(), key=lambda kv: kv[1])]
    return "\n".join(lines) + "\n"


class BytePairEncoder:
    """Split text into byte-level BPE tokens (strings), with a bounded per-word cache.

    `ranks` maps a pair of symbols to its merge priority (lower merges first). The encoder knows
    nothing about ids or special tokens.
    """

    def __init__(self, ranks: dict[Pair, int], cache_size: int = 200_000) -> None:
        if not isinstance(ranks, dict):
            raise TypeError(f"ranks must be a dict mapping (str, str) -> int, got {type(ranks).__name__}")
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self.ranks = ranks
        self.cache_size = cache_size
        self._cache: dict[str, list[str]] = {}

    def __getstate__(self) -> dict:
        # the word cache is left out: it is rebuilt on use, and a pickle must not change once the encoder is used
        return {"ranks": self.ranks, "cache_size": self.cache_size}

    def __setstate__(self, state: dict) -> None:
        self.ranks, self.cache_size = state["ranks"], state["cache_size"]
        self._cache = {}

    def merge(self, symbols: str) -> list[str]:
        """Apply the merges to one pre-token already mapped to the byte alphabet."""
        parts = list(symbols)
        ranks = self.ranks
        while len(parts) > 1:
            best_rank = None
            best = -1
            prev = parts[0]
            for i in range(1, len(parts)):
                cur = parts[i]
                r = ranks.get((prev, cur))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank = r
                    best = i - 1
                prev = cur
            if best_rank is None:
                break
            first, second = parts[best], parts[best + 1]
            merged = first + second
            out = parts[:best]
            i, n = best, len(parts)
            while i < n:
                if i < n - 1 and parts[i] == first and parts[i + 1] == second:
                    out.append(merged)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        return parts

    def tokenize(self, text: str) -> list[str]:
        """Pre-tokenize `text` and return its BPE tokens."""
        cache = self._cache
        table = _latin1_translation()
        out: list[str] = []
        for piece in pretokenizer_regex().findall(text):
            tokens = cache.get(piece)
            if tokens is None:
                tokens = self.merge(piece.encode("utf-8").decode("latin-1").translate(table))
                if self.cache_size:
                    if len(cache) >= self.cache_size:
                        cache.clear()
                    cache[piece] = tokens
            out += tokens
        return out
