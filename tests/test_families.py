"""XLM-RoBERTa and CamemBERT in PyTorch against transformers 4.56.2's classes: every head of the registry on the
same weights and inputs, saves loading both ways, the Auto classes and AutoTokenizer choosing the family from
the folder, the tokenizers (slow and fast) on a small SentencePiece model, and `pipeline("fill-mask")`."""

from __future__ import annotations

import json

import pytest
import torch
import transformers
from tokenizer.spm_helpers import FAMILIES as TOKENIZERS
from tokenizer.spm_helpers import STRINGS, train_model

import roberta
from roberta import registry
from roberta_testing import TINY, batch, make_reference

FAMILIES = [f for f in registry.FAMILIES if f is not registry.ROBERTA]
CASES = [(fam.model_type, row.stem) for fam in FAMILIES for row in registry.HEADS]
TOL = 1e-5


@pytest.fixture(scope="module", autouse=True)
def _quiet_reference():
    transformers.logging.set_verbosity_error()


def _reference(fam, row, path, **overrides):
    """A random-weight reference model of the family's class for `row`, saved to `path`, in eval mode."""
    torch.manual_seed(0)
    return make_reference(registry.class_name(row, fam), path, **overrides)


def _inputs(row):
    ids, mask = batch("right")
    kwargs = dict(input_ids=ids, attention_mask=mask, token_type_ids=ids % 2, output_hidden_states=True)
    if row.choices:  # (1, 3 choices, T)
        kwargs = {k: v.view(1, 3, -1) if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
    return kwargs, mask


def _assert_same_outputs(a, b, row, mask, what):
    for key in (*row.fields, "hidden_states"):
        x, y = a[key], b[key]
        for u, v in zip(x, y) if isinstance(x, tuple) else [(x, y)]:
            if u.dim() >= 2 and u.shape[:2] == mask.shape:  # per token: real positions only
                u, v = u[mask.bool()], v[mask.bool()]
            assert u.shape == v.shape and (u - v).abs().max().item() <= TOL, f"{what}/{key}"


@pytest.mark.parametrize("model_type,stem", CASES, ids=["-".join(c) for c in CASES])
def test_every_head_matches_the_reference_both_ways(tmp_path, model_type, stem):
    fam, row = registry.family(model_type), registry.head(stem)
    name = registry.class_name(row, fam)
    ref = _reference(fam, row, tmp_path / "ref")
    ours = getattr(roberta, registry.auto_name(row)).from_pretrained(tmp_path / "ref").eval()
    assert type(ours) is getattr(roberta, name) and type(ours.config) is getattr(roberta, fam.config_class_name)
    assert type(ours).config_class is getattr(roberta, fam.config_class_name)
    assert isinstance(ours, getattr(roberta, registry.class_name(row)))  # the RoBERTa network, not a copy
    kwargs, mask = _inputs(row)
    with torch.no_grad():
        want = ref(**kwargs)
        _assert_same_outputs(want, ours(**kwargs), row, mask, name)

    ours.save_pretrained(tmp_path / "ours")
    saved = json.loads((tmp_path / "ours" / "config.json").read_text())
    assert saved["model_type"] == model_type and saved["architectures"] == [name]
    back = getattr(transformers, registry.auto_name(row)).from_pretrained(tmp_path / "ours").eval()
    assert type(back) is getattr(transformers, name)
    with torch.no_grad():
        _assert_same_outputs(want, back(**kwargs), row, mask, f"{name} saved by roberta")


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.model_type)
def test_auto_config_and_the_wrong_config_class(tmp_path, fam):
    _reference(fam, registry.head("Model"), tmp_path)
    config = roberta.AutoConfig.from_pretrained(tmp_path)
    assert type(config) is getattr(roberta, fam.config_class_name) and config.hidden_size == TINY["hidden_size"]
    ref_config = transformers.AutoConfig.from_pretrained(tmp_path)
    ours, ref = (json.loads(json.dumps(c.to_dict())) for c in (config, ref_config))  # label ids as JSON keys
    shared = set(ours) & set(ref) - {"_name_or_path"}
    assert {"model_type", "vocab_size", "hidden_size"} <= shared and {k: ours[k] for k in shared} == {
        k: ref[k] for k in shared
    }
    with pytest.raises(ValueError, match=f"'{fam.model_type}' config: use {fam.config_class_name} or AutoConfig"):
        roberta.RobertaConfig.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match=f"use {fam.config_class_name}"):
        roberta.RobertaForMaskedLM.from_pretrained(tmp_path)
    model = roberta.AutoModelForMaskedLM.from_config(roberta.AutoConfig.for_model(fam.model_type, **TINY))
    assert type(model).__name__ == fam.prefix + "ForMaskedLM"


def test_the_families_import_no_framework_until_asked():
    import subprocess
    import sys
    from pathlib import Path

    names = ", ".join(n for f in FAMILIES for n in (f.config_class_name, *f.tokenizer_names))
    code = (
        f"import sys\nfrom roberta import {names}\n"
        "import roberta\nassert 'XLMRobertaForMaskedLM' in roberta.__all__\n"
        "assert 'TFCamembertForCausalLM' in roberta.__all__ and 'FlaxCamembertModel' in roberta.__all__\n"
        "assert not {'torch', 'tensorflow', 'jax'} & set(sys.modules), set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(Path(roberta.__file__).parents[1])})


# --------------------------------------------------------------------------- tokenizers and the pipeline


@pytest.fixture(scope="module")
def spm_model(tmp_path_factory):
    return train_model(tmp_path_factory.mktemp("families-spm"), "unigram")


def _encodings(tok, texts):
    out = tok(texts, return_offsets_mapping=tok.is_fast, return_special_tokens_mask=True)
    return {k: list(v) for k, v in out.items()}


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.model_type)
def test_tokenizers_are_chosen_and_saved_as_the_reference_does(tmp_path, spm_model, fam):
    classes = TOKENIZERS[fam.model_type]
    ref_slow = classes.ref_slow(str(spm_model))
    ref_slow.save_pretrained(tmp_path / "slow")
    ref_fast = classes.ref_fast.from_pretrained(tmp_path / "slow")
    ref_fast.save_pretrained(tmp_path / "fast")
    texts = [*STRINGS[:8], "Paris is the <mask> of France."]
    for folder in ("slow", "fast"):  # tokenizer folders alone: tokenizer_config.json's tokenizer_class decides
        for use_fast, cls, ref in ((True, classes.fast, ref_fast), (False, classes.slow, ref_slow)):
            tok = roberta.AutoTokenizer.from_pretrained(tmp_path / folder, use_fast=use_fast)
            assert type(tok) is cls and type(tok).__name__ == type(ref).__name__
            assert _encodings(tok, texts) == _encodings(ref, texts)
            assert tok("a b", "c")["input_ids"] == ref("a b", "c")["input_ids"]  # the pair layout
            tok.save_pretrained(tmp_path / f"ours-{folder}-{use_fast}")
            back = transformers.AutoTokenizer.from_pretrained(tmp_path / f"ours-{folder}-{use_fast}", use_fast=use_fast)
            assert type(back) is type(ref) and _encodings(back, texts) == _encodings(ref, texts)
    (tmp_path / "slow" / "tokenizer_config.json").unlink()  # no tokenizer_class: config.json's model_type decides
    (tmp_path / "slow" / "config.json").write_text(json.dumps({"model_type": fam.model_type}))
    assert type(roberta.AutoTokenizer.from_pretrained(tmp_path / "slow")) is classes.fast
    (tmp_path / "fast" / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "BertTokenizer"}))
    with pytest.raises(ValueError, match="holds a BertTokenizer tokenizer .*XLMRobertaTokenizerFast"):
        roberta.AutoTokenizer.from_pretrained(tmp_path / "fast")


@pytest.fixture(scope="module")
def xlmr_mlm_dir(tmp_path_factory, spm_model):
    """An XLM-RoBERTa masked LM folder saved by the reference, with its fast tokenizer."""
    path = tmp_path_factory.mktemp("xlmr-mlm")
    tokenizer = transformers.XLMRobertaTokenizerFast(vocab_file=str(spm_model))
    tokenizer.save_pretrained(path)
    _reference(registry.family("xlm-roberta"), registry.head("ForMaskedLM"), path, vocab_size=len(tokenizer))
    return path


def _same_fills(a, b):
    assert [(x["token"], x["token_str"], x["sequence"]) for x in a] == [
        (x["token"], x["token_str"], x["sequence"]) for x in b
    ]
    assert max(abs(x["score"] - y["score"]) for x, y in zip(a, b)) <= TOL


FILLS = ("Paris is the <mask> of France.", "Bonjour le <mask>!")


def test_fill_mask_pipeline_on_an_xlm_roberta_folder(xlmr_mlm_dir):
    tmp_path = xlmr_mlm_dir
    ours = roberta.pipeline("fill-mask", model=str(tmp_path))
    assert type(ours.model) is roberta.XLMRobertaForMaskedLM and type(ours.tokenizer) is roberta.XLMRobertaTokenizerFast
    ref = transformers.pipeline("fill-mask", model=str(tmp_path), device=-1)
    for text in FILLS:
        for kwargs in ({}, {"top_k": 3}):
            _same_fills(ours(text, **kwargs), ref(text, **kwargs))
    slow = roberta.pipeline("fill-mask", model=str(tmp_path), use_fast=False)
    assert type(slow.tokenizer) is roberta.XLMRobertaTokenizer


def test_onnx_export_of_an_xlm_roberta_folder_runs_in_the_pipeline(xlmr_mlm_dir, tmp_path):
    result = roberta.export_onnx(xlmr_mlm_dir, tmp_path / "onnx", task="fill-mask")
    assert result.model_class == "XLMRobertaForMaskedLM"
    assert type(roberta.AutoTokenizer.from_pretrained(tmp_path / "onnx")) is roberta.XLMRobertaTokenizerFast
    onnx_pipe = roberta.pipeline("fill-mask", model=str(tmp_path / "onnx"), framework="onnx")
    native = roberta.pipeline("fill-mask", model=str(xlmr_mlm_dir))
    assert onnx_pipe.model.model_class == "XLMRobertaForMaskedLM"
    for text in FILLS:
        a, b = onnx_pipe(text), native(text)
        assert [x["token"] for x in a] == [x["token"] for x in b]
        assert max(abs(x["score"] - y["score"]) for x, y in zip(a, b)) <= 1e-4  # the graph's float32 kernels
