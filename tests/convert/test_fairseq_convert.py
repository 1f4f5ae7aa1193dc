"""fairseq checkpoints -> model directories: outputs equal a forward pass over the fairseq tensors, in our classes
and in transformers, for both layouts, every stored-config style, both torch file formats and fp16."""

from __future__ import annotations

import json
import os

import pytest
import torch
from fairseq_testing import fairseq_forward, make_state, save

import roberta
from roberta.cli import main as cli_main
from roberta.convert import convert_fairseq
from roberta.convert.fairseq_dict import DictionaryMismatchError

TOL = 1e-5
TEXTS = ["Hello world, this is a <mask> of the converter.", "Short <mask>."]


@pytest.fixture(scope="module")
def dict_txt(roberta_base_dir):
    return roberta_base_dir / "dict.txt"


@pytest.fixture(scope="module")
def tokenizer(roberta_base_dir):
    return roberta.RobertaTokenizerFast.from_pretrained(roberta_base_dir)


def _batch(tokenizer):
    enc = tokenizer(TEXTS, padding=True, return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"]


def _max_diff(a, b, mask=None):
    if mask is not None:
        a, b = a[mask.bool()], b[mask.bool()]
    return (a.float() - b.float()).abs().max().item()


@pytest.mark.parametrize(
    "layout, style, legacy, dtype",
    [
        ("decoder", "args", True, torch.float16),  # the 2019 release files: torch's pre-1.6 format, fp16
        ("encoder", "cfg", False, torch.float32),  # fairseq since 2021: cfg dict with a Namespace
        ("encoder", "omegaconf", False, torch.float16),  # late 2020: a pickled DictConfig
    ],
)
def test_masked_lm_matches_the_fairseq_forward(
    tmp_path, dict_txt, tokenizer, monkeypatch, layout, style, legacy, dtype
):
    import transformers

    state = make_state(50265, layout=layout, heads={"mnli": 3}, dtype=dtype)
    with monkeypatch.context() as m:
        ckpt = save(tmp_path / "model.pt", state, style=style, legacy=legacy, monkeypatch=m)
    result = convert_fairseq(ckpt, dict_txt, tmp_path / "out")
    assert result.model_class == "RobertaForMaskedLM" and result.tokenizer is not None
    assert any("mnli" in n for n in result.notes)  # the other head is named, not silently dropped
    assert result.config.num_attention_heads == 4 and result.config.max_position_embeddings == 32

    ids, mask = _batch(tokenizer)
    expected = fairseq_forward(state, ids)
    ours = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "out")
    ref = transformers.RobertaForMaskedLM.from_pretrained(tmp_path / "out").eval()
    with torch.no_grad():
        assert _max_diff(ours(input_ids=ids, attention_mask=mask).logits, expected, mask) <= TOL
        assert _max_diff(ref(input_ids=ids, attention_mask=mask).logits, expected, mask) <= TOL
    # the written tokenizer is roberta-base's and stays within the positions the model has
    written = roberta.RobertaTokenizerFast.from_pretrained(tmp_path / "out")
    assert written(TEXTS)["input_ids"] == tokenizer(TEXTS)["input_ids"]
    assert written.model_max_length == 30


def test_classification_head_with_labels_and_untied_lm_head(tmp_path, dict_txt, tokenizer):
    import transformers

    state = make_state(50265, layout="decoder", heads={"mnli": 3, "sst2": 2}, untied=True)
    ckpt = save(tmp_path / "model.pt", state, style="args")
    label_dict = tmp_path / "label-dict.txt"
    label_dict.write_text("contradiction 10\nneutral 7\nentailment 3\n")
    result = convert_fairseq(ckpt, dict_txt, tmp_path / "mnli", head="mnli", labels=label_dict)
    assert result.model_class == "RobertaForSequenceClassification"
    config = json.loads((tmp_path / "mnli" / "config.json").read_text())
    assert config["id2label"] == {"0": "contradiction", "1": "neutral", "2": "entailment"}

    ids, mask = _batch(tokenizer)
    expected = fairseq_forward(state, ids, head="mnli")
    ours = roberta.RobertaForSequenceClassification.from_pretrained(tmp_path / "mnli")
    ref = transformers.RobertaForSequenceClassification.from_pretrained(tmp_path / "mnli").eval()
    with torch.no_grad():
        assert _max_diff(ours(input_ids=ids, attention_mask=mask).logits, expected) <= TOL
        assert _max_diff(ref(input_ids=ids, attention_mask=mask).logits, expected) <= TOL

    # the untied LM head keeps its own weights
    convert_fairseq(ckpt, dict_txt, tmp_path / "mlm")
    assert json.loads((tmp_path / "mlm" / "config.json").read_text())["tie_word_embeddings"] is False
    mlm = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "mlm")
    with torch.no_grad():
        assert _max_diff(mlm(input_ids=ids, attention_mask=mask).logits, fairseq_forward(state, ids), mask) <= TOL

    with pytest.raises(ValueError, match=r"no classification head 'qnli' \(its heads: mnli, sst2\)"):
        convert_fairseq(ckpt, dict_txt, tmp_path / "x", head="qnli")
    with pytest.raises(ValueError, match="2 labels were given .* the head has 3 outputs"):
        convert_fairseq(ckpt, dict_txt, tmp_path / "y", head="mnli", labels="a,b")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_regression_head_from_the_stored_criterion(tmp_path, dict_txt):
    state = make_state(50265, heads={"stsb": 1})
    ckpt = save(tmp_path / "model.pt", state, style="args", regression_target=True)
    result = convert_fairseq(ckpt, dict_txt, tmp_path / "out", head="stsb")
    assert result.config.problem_type == "regression" and result.config.num_labels == 1


def test_a_reordered_dictionary_is_put_in_the_tokenizer_order(tmp_path, dict_txt, tokenizer):
    lines = dict_txt.read_text(encoding="utf-8").splitlines()
    order = torch.randperm(len(lines), generator=torch.Generator().manual_seed(3)).tolist()
    shuffled = tmp_path / "dict.txt"
    shuffled.write_text("\n".join(lines[i] for i in order) + "\n", encoding="utf-8")
    state = make_state(50265)
    result = convert_fairseq(save(tmp_path / "model.pt", state, style="cfg"), shuffled, tmp_path / "out")
    assert any("reordered" in n for n in result.notes)

    ids, mask = _batch(tokenizer)  # roberta-base ids (= positions in the original dict.txt + 4)
    where = {old: new for new, old in enumerate(order)}  # original line -> line in the shuffled dict
    to_fairseq = torch.tensor([where[i - 4] + 4 if 4 <= i < 50264 else i for i in range(50265)])  # <mask> last
    fairseq_ids = to_fairseq[ids]
    expected = fairseq_forward(state, fairseq_ids)  # (B, T, fairseq rows)
    ours = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "out")
    with torch.no_grad():
        logits = ours(input_ids=ids, attention_mask=mask).logits
    assert _max_diff(logits, expected[..., to_fairseq], mask) <= TOL


def test_a_dictionary_that_does_not_fit_the_tokenizer(tmp_path, dict_txt):
    lines = dict_txt.read_text(encoding="utf-8").splitlines()
    subset = tmp_path / "subset.txt"
    subset.write_text("\n".join(lines[:1000]) + "\n", encoding="utf-8")
    ckpt = save(tmp_path / "small.pt", make_state(1005), style="args")
    with pytest.raises(DictionaryMismatchError, match=r"0 of its 1005 tokens .* 49260 tokenizer tokens .*--tokenizer"):
        convert_fairseq(ckpt, subset, tmp_path / "out")
    assert not (tmp_path / "out").exists()

    pieces = tmp_path / "sentencepiece.txt"
    pieces.write_text("".join(f"\u2581w{i} 1\n" for i in range(1000)), encoding="utf-8")
    with pytest.raises(DictionaryMismatchError, match="not a GPT-2 BPE dictionary .*line 1 holds '\u2581w0'"):
        convert_fairseq(ckpt, pieces, tmp_path / "out")

    # weights alone, rows in dict.txt order, with a note saying which tokenizer fits
    result = convert_fairseq(ckpt, subset, tmp_path / "out", write_tokenizer=False)
    assert result.tokenizer is None and "dict.txt's" in result.notes[-1]
    assert sorted(os.listdir(tmp_path / "out")) == ["config.json", "model.safetensors"]

    short = tmp_path / "short.txt"
    short.write_text("\n".join(lines[:998]) + "\n", encoding="utf-8")
    with pytest.raises(DictionaryMismatchError, match="1005 rows, but .* gives 1002 symbols"):
        convert_fairseq(ckpt, short, tmp_path / "o2")


def test_variants_without_an_equivalent_are_refused(tmp_path, dict_txt):
    state = make_state(50265)
    state["encoder.sentence_encoder.layer_norm.weight"] = torch.ones(16)
    with pytest.raises(ValueError, match="pre-norm"):
        convert_fairseq(save(tmp_path / "a.pt", state, style="cfg"), dict_txt, tmp_path / "a")
    with pytest.raises(ValueError, match="gelu_accurate.*LM head always applies gelu"):
        convert_fairseq(
            save(tmp_path / "b.pt", make_state(50265), style="cfg", activation_fn="gelu_accurate"),
            dict_txt,
            tmp_path / "b",
        )
    state = make_state(50265)
    state["encoder.sentence_encoder.adapter.weight"] = torch.ones(2)
    with pytest.raises(ValueError, match="does not know: encoder.sentence_encoder.adapter.weight"):
        convert_fairseq(save(tmp_path / "c.pt", state, style="cfg"), dict_txt, tmp_path / "c")
    assert not any(p.is_dir() for p in tmp_path.iterdir())


def test_cli(tmp_path, dict_txt, capsys):
    ckpt = save(tmp_path / "model.pt", make_state(50265, heads={"mnli": 3}), style="args")
    out = tmp_path / "out"
    assert (
        cli_main(
            [
                "convert",
                "fairseq",
                str(ckpt),
                "--dict",
                str(dict_txt),
                "-o",
                str(out),
                "--head",
                "mnli",
                "--labels",
                "contradiction,neutral,entailment",
                "--dtype",
                "float16",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "wrote RobertaForSequenceClassification" in printed and "contradiction, neutral, entailment" in printed
    assert roberta.RobertaForSequenceClassification.from_pretrained(out).dtype == torch.float32  # loads as fp32
    assert json.loads((out / "config.json").read_text())["dtype"] == "float16"  # the key transformers 4.56 writes

    capsys.readouterr()
    assert cli_main(["convert", "fairseq", str(ckpt), "--dict", str(dict_txt), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err
    assert (
        cli_main(
            ["convert", "fairseq", str(tmp_path / "missing.pt"), "--dict", str(dict_txt), "-o", str(tmp_path / "o")]
        )
        == 2
    )
    assert "not found" in capsys.readouterr().err
