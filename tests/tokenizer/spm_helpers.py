"""SentencePiece checkpoints for the XLM-RoBERTa / CamemBERT tokenizer tests, made locally (no hub).

A small unigram and a small BPE SentencePiece model are trained on a multilingual text written here; each is
saved as the reference saves it, by its slow tokenizer (sentencepiece.bpe.model + configs) and by its fast
tokenizer (tokenizer.json too). The tokenizer tests import it by name, others as `tokenizer.spm_helpers`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import transformers

from roberta.tokenizer.camembert import CamembertTokenizer, CamembertTokenizerFast
from roberta.tokenizer.xlm_roberta import XLMRobertaTokenizer, XLMRobertaTokenizerFast

_BASE = """Hello world! This is a small multilingual corpus for testing tokenizers.
Bonjour le monde, ceci est un petit texte en français. Élève, été, çà et là, où êtes-vous?
Hallo Welt, das ist ein kleiner Text auf Deutsch. Straße, Größe, Übermut und Fußgänger.
你好世界，这是一个小的中文文本。東京は日本の首都です。ひらがなとカタカナ。
Привет мир, это небольшой текст на русском языке. Спасибо большое.
¡Hola mundo! Esto es un texto pequeño en español. Año, niño, mañana.
The quick brown fox jumps over the lazy dog. 1234567890 numbers and symbols: $%&*()
Γειά σου κόσμε, αυτό είναι ελληνικά. مرحبا بالعالم. שלום עולם.
"""

MODEL_TYPES = ("unigram", "bpe")
VOCAB_SIZE = 200  # the most the unigram trainer finds room for in this text


@dataclass(frozen=True)
class Family:
    """One model type's four classes: ours and the reference's, slow and fast."""

    name: str
    slow: type
    fast: type
    ref_slow: type
    ref_fast: type


FAMILIES = {
    "xlm-roberta": Family(
        "xlm-roberta",
        XLMRobertaTokenizer,
        XLMRobertaTokenizerFast,
        transformers.XLMRobertaTokenizer,
        transformers.XLMRobertaTokenizerFast,
    ),
    "camembert": Family(
        "camembert",
        CamembertTokenizer,
        CamembertTokenizerFast,
        transformers.CamembertTokenizer,
        transformers.CamembertTokenizerFast,
    ),
}


@dataclass(frozen=True)
class Checkpoint:
    """A trained SentencePiece model and the reference's saves of it for one family."""

    model: Path  # the bare SentencePiece model file
    slow_dir: Path  # saved by the reference's slow tokenizer: sentencepiece.bpe.model, no tokenizer.json
    fast_dir: Path  # saved by the reference's fast tokenizer: tokenizer.json as well


def training_text(seed: int = 0) -> str:
    """The base text and 400 lines of its words in random order (deterministic)."""
    rng = random.Random(seed)
    words = _BASE.split()
    lines = [_BASE] + [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(400)]
    return "\n".join(lines)


def train_model(directory: Path, model_type: str, vocab_size: int = VOCAB_SIZE) -> Path:
    """Train a SentencePiece model of `model_type` on `training_text()`; returns the .model path."""
    import sentencepiece

    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus.txt"
    corpus.write_text(training_text(), encoding="utf-8")
    prefix = directory / model_type
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


def build_checkpoints(root: Path) -> dict[tuple[str, str], Checkpoint]:
    """(family, model type) -> Checkpoint, for every family and model type."""
    out = {}
    for model_type in MODEL_TYPES:
        model = train_model(root / "spm", model_type)
        for name, family in FAMILIES.items():
            slow_dir, fast_dir = root / f"{name}-{model_type}-slow", root / f"{name}-{model_type}-fast"
            family.ref_slow(str(model)).save_pretrained(slow_dir)
            family.ref_fast.from_pretrained(slow_dir).save_pretrained(fast_dir)
            out[name, model_type] = Checkpoint(model, slow_dir, fast_dir)
    return out


# strings the parity tests encode, besides the tokenizer tests' shared corpus
STRINGS = [
    "",
    " ",
    "Hello world!",
    "Bonjour le monde, ceci est un petit texte en français.",
    "Élève été çà et là, où êtes-vous?",
    "Straße Größe Übermut",
    "你好世界，这是一个小的中文文本。",
    "東京は日本の首都です",
    "Привет мир",
    "🙂 emoji 👨‍👩‍👧 and 🇫🇷",
    "unknown chars: ☃ ∮ ꙮ",
    "  leading, trailing and   inner   runs  ",
    "tabs\tand\nnewlines\r\nhere",
    "\u00a0non-breaking\u3000ideographic space",
    "e\u0301 composed e\u0301",
    "ﬁ ligature and ＦＵＬＬ width",
    "Paris is the <mask> of France.",
    "<s>special</s> tokens <pad> in <unk> text <mask>",
    "<s>NOTUSED </s>NOTUSED <unk>NOTUSED",
    "x<mask>y  <mask>  z",
    "numbers 1234567890 and $%&*()",
    "the quick brown fox " * 12,
]

PAIRS = [
    ("Hello world", "Bonjour le monde"),
    ("Straße", ""),
    ("你好世界", "東京は日本の首都です"),
    ("the quick brown fox jumps over the lazy dog " * 3, "short"),
    ("short", "Привет мир, это небольшой текст " * 4),
]
