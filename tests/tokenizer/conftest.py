"""Fixtures for the tokenizer tests: ours and the reference's, loaded from ../shared/roberta-base."""

from __future__ import annotations

import logging
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import transformers

from roberta.tokenizer import RobertaTokenizer, RobertaTokenizerFast
from roberta_testing import shared_dir

transformers.logging.set_verbosity_error()
logging.getLogger("roberta").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", message=".*max_length.*")


@pytest.fixture(scope="session")
def roberta_dir() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def slow() -> RobertaTokenizer:
    return RobertaTokenizer.from_pretrained(shared_dir())


@pytest.fixture(scope="session")
def fast() -> RobertaTokenizerFast:
    return RobertaTokenizerFast.from_pretrained(shared_dir())


@pytest.fixture(scope="session")
def ref_slow() -> transformers.RobertaTokenizer:
    return transformers.RobertaTokenizer.from_pretrained(shared_dir())


@pytest.fixture(scope="session")
def ref_fast() -> transformers.RobertaTokenizerFast:
    return transformers.RobertaTokenizerFast.from_pretrained(shared_dir())


_PIECES = [
    "Hello",
    "world",
    "HELLO",
    "héllo",
    "naïve",
    "café",
    "Ελληνικά",
    "русский",
    "עברית",
    "العربية",
    "हिन्दी",
    "日本語",
    "中文字符",
    "한국어",
    "ไทย",
    "e\u0301",
    "a\u0300\u0316",
    "👍",
    "👨‍👩‍👧‍👦",
    "🇫🇷",
    "🏳️‍🌈",
    "👋🏽",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\u00a0",
    "\u3000",
    " \t \n ",
    "   ",
    "def f(x):\n    return x**2",
    "if (a && b) { c++; }",
    "https://example.com/a?b=c&d=e#f",
    "user@mail.org",
    "3.14159",
    "1,000,000",
    "42",
    "0x1F",
    "2024-01-01",
    "$100",
    "50%",
    "it's",
    "don't",
    "we're",
    "I've",
    "I'm",
    "you'll",
    "he'd",
    "IT'S",
    "'S",
    "'s",
    "''",
    "<s>",
    "</s>",
    "<pad>",
    "<unk>",
    "<mask>",
    " <mask>",
    "<mask> ",
    "x<mask>y",
    "<s><mask></s>",
    ".",
    ",",
    "!?",
    "...",
    "—",
    "«quote»",
    '"',
    "(",
    ")",
    "[x]",
    "~",
    "`code`",
]


def make_corpus(n: int = 300, seed: int = 0) -> list[str]:
    """Random adversarial strings built from the pieces above (deterministic)."""
    rng = random.Random(seed)
    out = ["", " ", "Hello world", " Hello world", "Paris is the <mask> of France."]
    for _ in range(n):
        k = rng.randint(1, 12)
        out.append("".join(rng.choice(_PIECES) + rng.choice(["", " ", "", "  "]) for _ in range(k)))
    return out


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return make_corpus()


def plain(value: Any) -> Any:
    """Tensors/arrays -> (type tag, shape, nested lists) so equality also checks type and shape."""
    if isinstance(value, torch.Tensor):
        return ("pt", str(value.dtype), tuple(value.shape), value.tolist())
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return ("np-object", [plain(v) for v in value])
        return ("np", str(value.dtype), value.shape, value.tolist())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _assert_same(ours: Any, ref: Any) -> None:
    assert type(ours).__name__ == "BatchEncoding"
    assert list(ours.keys()) == list(ref.keys())
    for key in ref.keys():
        assert plain(ours[key]) == plain(ref[key]), key


@pytest.fixture(scope="session")
def assert_same():
    """Assert that our BatchEncoding equals the reference's (keys, order, values, tensor types/shapes)."""
    return _assert_same


@pytest.fixture(scope="session")
def spm_checkpoints(tmp_path_factory):
    """(family, model type) -> small SentencePiece checkpoints saved by the reference (see spm_helpers)."""
    from spm_helpers import build_checkpoints

    return build_checkpoints(tmp_path_factory.mktemp("spm"))
