"""Random-weight tiny checkpoints (real roberta-base tokenizer) for the pipeline tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

import roberta

TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json")

# vocab_size fits the real roberta-base tokenizer; a large initializer_range makes the random heads confident
# enough that rankings are not decided by float noise.
PIPE_CONFIG = dict(
    vocab_size=50265,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=514,
    type_vocab_size=1,
    pad_token_id=1,
    bos_token_id=0,
    eos_token_id=2,
    initializer_range=0.4,
)

NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _save(root: Path, name: str, cls_name: str, seed: int, roberta_base_dir: Path, **overrides) -> Path:
    path = root / name
    torch.manual_seed(seed)
    config = roberta.RobertaConfig(**{**PIPE_CONFIG, **overrides})
    model = getattr(roberta, cls_name)(config).eval()
    model.save_pretrained(path)
    for f in TOKENIZER_FILES:
        shutil.copy(roberta_base_dir / f, path / f)
    return path


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory, roberta_base_dir) -> dict[str, Path]:
    """One checkpoint directory per task."""
    root = tmp_path_factory.mktemp("pipeline-ckpts")
    return {
        "fill-mask": _save(root, "mlm", "RobertaForMaskedLM", 1, roberta_base_dir),
        "text-classification": _save(
            root,
            "cls",
            "RobertaForSequenceClassification",
            2,
            roberta_base_dir,
            id2label={0: "NEG", 1: "NEU", 2: "POS"},
        ),
        "text-classification-1": _save(
            root, "cls1", "RobertaForSequenceClassification", 3, roberta_base_dir, num_labels=1
        ),
        "token-classification": _save(
            root, "ner", "RobertaForTokenClassification", 10, roberta_base_dir, id2label=dict(enumerate(NER_LABELS))
        ),
        "question-answering": _save(root, "qa", "RobertaForQuestionAnswering", 5, roberta_base_dir),
        "feature-extraction": _save(root, "base", "RobertaModel", 6, roberta_base_dir),
        "text-generation": _save(root, "clm", "RobertaForCausalLM", 7, roberta_base_dir, is_decoder=True),
    }


@pytest.fixture(scope="session")
def ref_pipeline():
    """Build (and cache) the reference `transformers.pipeline` for a checkpoint."""
    import transformers

    transformers.logging.set_verbosity_error()
    cache: dict = {}

    def make(task: str, path: Path, **kwargs):
        key = (task, str(path), tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = transformers.pipeline(task, model=str(path), device=-1, **kwargs)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def our_pipeline():
    """Build (and cache) our pipeline for a checkpoint."""
    from roberta.pipelines import pipeline

    cache: dict = {}

    def make(task: str, path: Path, **kwargs):
        key = (task, str(path), tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = pipeline(task, model=str(path), **kwargs)
        return cache[key]

    return make
