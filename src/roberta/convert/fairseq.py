"""`convert_fairseq`: an original fairseq RoBERTa checkpoint (`model.pt` + `dict.txt`) -> a checkpoint directory
in the reference's layout (config.json, model.safetensors, tokenizer files), loadable by our classes and by
`transformers`.

Steps: read the pickle without running it (`unpickle.py`); rename the tensors and read the settings
(`fairseq_names.py`); place the embedding rows in the tokenizer's id order (`fairseq_dict.py`); check every
tensor against a model built on the meta device; write into a staging directory that becomes the output
directory in one rename, so a failed conversion leaves nothing behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch

from .. import modeling
from .._io import atomic_new_directory
from ..config import RobertaConfig
from ..hub import resolve_file
from ..modeling.checkpoint_files import write_checkpoint
from ..tokenizer import RobertaTokenizerFast
from ..tokenizer.bpe import load_merges, load_vocab
from . import fairseq_dict, fairseq_names
from .unpickle import load_checkpoint

# Tensors indexed by token id: their rows follow the dictionary.
_ROW_INDEXED = ("roberta.embeddings.word_embeddings.weight", "lm_head.decoder.weight", "lm_head.bias")


@dataclass
class ConversionResult:
    """What `convert_fairseq` wrote and what the user should know about it."""

    output_dir: str
    model_class: str
    config: RobertaConfig
    tokenizer: str | None  # where the tokenizer files came from; None when none were written
    notes: list[str] = field(default_factory=list)


def _label_fields(labels: Any, num_labels: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Config fields of a classification head. `labels`: a list of names, a comma-separated string, or the path
    of fairseq's label dict.txt (label i on line i); None: LABEL_i. A head trained with `regression_target` is a
    regression."""
    fields: dict[str, Any] = {"problem_type": "regression"} if settings.get("regression_target") else {}
    if labels is None:
        return {**fields, "num_labels": num_labels}
    if isinstance(labels, (str, os.PathLike)) and os.path.isfile(labels):
        names = fairseq_dict.read_dict(labels)[len(fairseq_dict.SPECIALS) :]  # label i is line i
    elif isinstance(labels, str):
        names = [n.strip() for n in labels.split(",")]
    else:
        names = [str(n) for n in labels]
    if len(names) != num_labels:
        raise ValueError(f"{len(names)} labels were given ({', '.join(names)}) but the head has {num_labels} outputs")
    return {**fields, "id2label": dict(enumerate(names))}


def _order_rows(
    tensors: dict[str, torch.Tensor], symbols: list[str], has_mask: bool, tokenizer: str, dict_path: str
) -> list[str]:
    """Put the rows indexed by token id in `tokenizer`'s id order (in place); notes for the user."""
    vocab = load_vocab(resolve_file(tokenizer, "vocab.json"))
    merges = load_merges(resolve_file(tokenizer, "merges.txt"))
    order = fairseq_dict.order_rows(symbols, has_mask, vocab, merges, dict_path=dict_path, tokenizer=tokenizer)
    if order.rows is None:
        return []
    index = torch.tensor(order.rows)
    tensors.update({k: tensors[k].index_select(0, index) for k in _ROW_INDEXED if k in tensors})
    return [f"dict.txt orders the vocabulary differently: rows reordered into {tokenizer}'s ids"]


def _choose_head(mapped: fairseq_names.MappedTensors, head: str | None) -> tuple[str, list[str]]:
    """The model class to write, and notes."""
    available = ", ".join(mapped.heads) or "none"
    if head is not None:
        if head not in mapped.heads:
            raise ValueError(f"the checkpoint has no classification head {head!r} (its heads: {available})")
        return "RobertaForSequenceClassification", []
    if mapped.lm_head_tied is None:
        raise ValueError(
            f"the checkpoint has no masked-LM head; choose a classification head with --head NAME (its heads: "
            f"{available})"
        )
    notes = [f"the checkpoint also holds classification heads ({available}); convert one with --head NAME"]
    return "RobertaForMaskedLM", notes if mapped.heads else []


def _check_against_model(cls: type, config: RobertaConfig, tensors: dict[str, torch.Tensor]) -> None:
    """Every tensor the model needs, in its shape (nothing missing, nothing extra)."""
    with torch.device("meta"):
        model = cls(config)
    expected = {k: tuple(v.shape) for k, v in model._state_for_saving().items()}
    problems = []
    missing = sorted(set(expected) - set(tensors))
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    extra = sorted(set(tensors) - set(expected))
    if extra:
        problems.append(f"unexpected {', '.join(extra)}")
    problems += [
        f"{k} is {tuple(t.shape)}, the model needs {expected[k]}"
        for k, t in sorted(tensors.items())
        if k in expected and tuple(t.shape) != expected[k]
    ]
    if problems:
        raise ValueError(f"the fairseq tensors do not fill a {cls.__name__}: {'; '.join(problems)}")


def convert_fairseq(
    checkpoint: str | os.PathLike,
    dict_path: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    head: str | None = None,
    labels: Any = None,
    tokenizer: str | os.PathLike | None = None,
    write_tokenizer: bool = True,
    dtype: torch.dtype = torch.float32,
) -> ConversionResult:
    """Convert a fairseq RoBERTa checkpoint into a new directory `output_dir` (which must not exist).

    Args:
        checkpoint: fairseq's `model.pt`; read without running any code from it.
        dict_path: the `dict.txt` the checkpoint was trained with.
        head: a classification head (`classification_heads.NAME`) -> RobertaForSequenceClassification;
            None -> RobertaForMaskedLM.
        labels: label names of the head: a list, "a,b,c", or fairseq's `label/dict.txt`; default LABEL_i.
        tokenizer: a directory (or cached hub id) with the vocab.json + merges.txt the model was trained with;
            None uses the bundled roberta-base vocabulary. dict.txt must index exactly its tokens (the rows are
            reordered into its ids when needed), else `DictionaryMismatchError` says which tokenizer fits.
        write_tokenizer: False writes the weights alone, rows in dict.txt order, without checking a tokenizer.
        dtype: dtype of the written weights (fairseq's are often float16).
    """
    output_dir = os.fspath(output_dir)
    if os.path.lexists(output_dir):
        raise FileExistsError(f"the output path {output_dir} already exists; give a new directory")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch dtype, got {dtype!r}")
    dict_path = os.fspath(dict_path)
    symbols = fairseq_dict.read_dict(dict_path)
    state = load_checkpoint(checkpoint)
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise ValueError(f"{os.fspath(checkpoint)} holds no `model` state dict: it is not a fairseq checkpoint")
    try:
        settings = fairseq_names.read_settings(state)
    except ValueError as e:  # no settings, or settings nested past what is read (UnsafeCheckpointError)
        raise type(e)(f"{os.fspath(checkpoint)}: {e}") from None
    mapped = fairseq_names.map_tensors(state["model"], head)
    model_class, notes = _choose_head(mapped, head)
    fairseq_names.check_settings(settings, mapped.layout, masked_lm=model_class == "RobertaForMaskedLM")
    tensors = mapped.tensors
    if model_class != "RobertaForMaskedLM":
        tensors = {k: v for k, v in tensors.items() if not k.startswith("lm_head.")}

    fields, more = fairseq_names.config_fields(settings, tensors)
    notes += more
    has_mask = fairseq_dict.count_rows(symbols, fields["vocab_size"], dict_path)
    source = None
    if write_tokenizer:
        source = os.fspath(tokenizer) if tokenizer is not None else _bundled_vocabulary()
        notes += _order_rows(tensors, symbols, has_mask, source, dict_path)
    else:
        notes.append(
            "no tokenizer written: the model's token ids are dict.txt's (line n -> id n + 3, <s> <pad> </s> <unk> = "
            "0-3" + (", <mask> last" if has_mask else "") + "); a tokenizer whose vocab.json gives those ids fits"
        )
    if model_class == "RobertaForSequenceClassification":
        fields.update(_label_fields(labels, tensors["classifier.out_proj.weight"].shape[0], settings))
    elif labels is not None:
        raise ValueError("labels apply to a classification head; choose one with --head NAME")
    config = RobertaConfig(
        **fields,
        tie_word_embeddings=mapped.lm_head_tied is not False,
        architectures=[model_class],
        torch_dtype=str(dtype).replace("torch.", ""),
    )
    tensors["roberta.embeddings.token_type_embeddings.weight"] = torch.zeros(1, config.hidden_size)
    tensors = {k: v.to(dtype) for k, v in tensors.items()}
    _check_against_model(getattr(modeling, model_class), config, tensors)

    with atomic_new_directory(output_dir) as stage:
        write_checkpoint(stage, tensors, config.to_dict())
        if source is not None:
            tok = RobertaTokenizerFast.from_pretrained(source)
            tok.model_max_length = config.usable_positions
            tok.save_pretrained(stage)
    return ConversionResult(output_dir, model_class, config, source, notes)


def _bundled_vocabulary() -> str:
    """The roberta-base vocabulary that ships with the package (the bundled default model's tokenizer)."""
    from ..pipelines import default_model_dir

    return str(default_model_dir())
