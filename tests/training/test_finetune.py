"""`roberta finetune TASK`: every head learns a small synthetic task clearly better than chance."""

from __future__ import annotations

import json
import random
import shutil

import pytest
import torch
import transformers
from train_helpers import NAMES, OBJECTS, VERBS, finetune, results, write_corpus, write_jsonl

import roberta
from roberta.cli import main as cli


def sentence(rng, n=None):
    n = rng.randrange(len(NAMES)) if n is None else n
    return n, f"{NAMES[n]} {VERBS[rng.randrange(len(VERBS))]} {OBJECTS[rng.randrange(len(OBJECTS))]} ."


def split(rows, tmp_path, name, n_valid=60):
    return (
        write_jsonl(tmp_path / f"{name}_train.jsonl", rows[n_valid:]),
        write_jsonl(tmp_path / f"{name}_valid.jsonl", rows[:n_valid]),
    )


def test_single_label_classification(tmp_path, pretrained):
    rng = random.Random(0)
    rows = []
    for _ in range(300):
        n, s = sentence(rng)
        rows.append({"text": s, "label": "first" if n < 3 else "second"})
    tr, va = split(rows, tmp_path, "cls")
    out = tmp_path / "out"
    assert cli(finetune("text-classification", pretrained, tr, va, out, "--max-steps", "60")) == 0
    assert results(out)["eval_accuracy"] > 0.9 and results(out)["eval_f1"] > 0.85
    ref = transformers.AutoModelForSequenceClassification.from_pretrained(out).eval()
    assert ref.config.id2label == {0: "first", 1: "second"} and ref.config.label2id["second"] == 1
    ours = roberta.RobertaForSequenceClassification.from_pretrained(out).eval()
    enc = transformers.AutoTokenizer.from_pretrained(out)(["alice likes the cat ."], return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(ours(**enc).logits, ref(**enc).logits, atol=1e-4, rtol=1e-4)


def test_multi_label_classification(tmp_path, pretrained):
    rng = random.Random(1)
    rows = []
    for _ in range(300):
        objs = rng.sample(["cat", "dog", "bird", "fish"], rng.randint(1, 2))
        text = " and ".join(f"{rng.choice(NAMES)} sees the {o}" for o in objs)
        rows.append({"text": text, "label": [o for o in objs if o in ("cat", "dog")]})
    tr, va = split(rows, tmp_path, "ml")
    out = tmp_path / "out"
    assert (
        cli(
            finetune(
                "text-classification",
                pretrained,
                tr,
                va,
                out,
                "--problem-type",
                "multi_label_classification",
                "--max-steps",
                "80",
            )
        )
        == 0
    )
    assert results(out)["eval_f1"] > 0.85
    assert json.loads((out / "config.json").read_text())["problem_type"] == "multi_label_classification"


def test_regression_from_csv(tmp_path, pretrained):
    rng = random.Random(2)
    lines = ["sentence,score"]
    for _ in range(300):
        k = rng.randint(0, 3)
        words = ["alice"] * k + [rng.choice(NAMES[1:]) for _ in range(4 - k)]
        rng.shuffle(words)
        lines.append(f"{' '.join(words)},{k}")
    (tmp_path / "r_train.csv").write_text("\n".join(lines[:1] + lines[61:]) + "\n")
    (tmp_path / "r_valid.csv").write_text("\n".join(lines[:61]) + "\n")
    out = tmp_path / "out"
    assert (
        cli(
            finetune(
                "text-classification",
                pretrained,
                tmp_path / "r_train.csv",
                tmp_path / "r_valid.csv",
                out,
                "--problem-type",
                "regression",
                "--text-column",
                "sentence",
                "--label-column",
                "score",
                "--max-steps",
                "80",
            )
        )
        == 0
    )
    assert results(out)["eval_pearson"] > 0.8


def tagged(rng):
    tokens, tags = [], []
    for _ in range(rng.randint(1, 2)):
        n, s = sentence(rng)
        words = s.split()
        tokens += words
        tags += ["B-PER", "O", "O", "B-ANI" if words[3] in ("cat", "dog") else "O", "O"]
        if words[3] in ("cat", "dog"):
            tags[-3:-1] = ["B-ANI", "I-ANI"]
    return tokens, tags


@pytest.mark.parametrize("label_all", [False, True])
def test_token_classification(tmp_path, pretrained, label_all):
    rng = random.Random(3)
    rows = [dict(zip(("tokens", "tags"), tagged(rng))) for _ in range(260)]
    tr, va = split(rows, tmp_path, "ner")
    out = tmp_path / "out"
    extra = ["--label-all-tokens"] if label_all else []
    assert cli(finetune("token-classification", pretrained, tr, va, out, "--max-steps", "100", *extra)) == 0
    r = results(out)
    assert r["eval_f1"] > 0.7 and r["eval_precision"] > 0.65 and r["eval_recall"] > 0.65, r  # chance: ~0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["id2label"] == {"0": "O", "1": "B-ANI", "2": "I-ANI", "3": "B-PER"}


def squad(rng, n):
    data = []
    for i in range(n):
        sents = [sentence(rng, k) for k in rng.sample(range(len(NAMES)), 3)]
        context = " ".join(s for _, s in sents)
        if i % 4 == 0:
            asked = next(k for k in range(len(NAMES)) if k not in {k for k, _ in sents})
            qa = {"id": f"q{i}", "question": NAMES[asked] + " ?", "answers": [], "is_impossible": True}
        else:
            k, s = sents[rng.randrange(3)]
            answer = " ".join(s.split()[:2])
            qa = {
                "id": f"q{i}",
                "question": NAMES[k] + " ?",
                "answers": [{"text": answer, "answer_start": context.index(s)}],
            }
        data.append({"title": "t", "paragraphs": [{"context": context, "qas": [qa]}]})
    return {"version": "v2.0", "data": data}


def test_question_answering_v2(tmp_path, pretrained):
    rng = random.Random(4)
    (tmp_path / "qa_train.json").write_text(json.dumps(squad(rng, 400), indent=1))
    (tmp_path / "qa_valid.json").write_text(json.dumps(squad(rng, 60), indent=1))
    out = tmp_path / "out"
    # max length 24 and stride 8: contexts (~20 tokens) are split into overlapping windows
    assert (
        cli(
            finetune(
                "question-answering",
                pretrained,
                tmp_path / "qa_train.json",
                tmp_path / "qa_valid.json",
                out,
                "--max-steps",
                "400",
                "--max-seq-length",
                "24",
                "--doc-stride",
                "8",
                "--batch-size",
                "32",
                "--lr",
                "3e-3",
            )
        )
        == 0
    )
    r = results(out)
    assert r["eval_exact_match"] > 45 and r["eval_f1"] > 45, r  # all-empty answers score 25
    preds = json.loads((out / "eval_predictions.json").read_text())
    assert len(preds) == 60 and "" in preds.values()


def test_multiple_choice(tmp_path, pretrained):
    rng = random.Random(5)
    rows = []
    for _ in range(260):
        n = rng.randrange(len(NAMES))
        wrong = rng.sample([v for i, v in enumerate(VERBS) if i != n], 3)
        label = rng.randrange(4)
        endings = wrong[:label] + [VERBS[n]] + wrong[label:]
        rows.append(
            {
                "context": f"{NAMES[n]}",
                **{f"ending{i}": f"{e} the cat ." for i, e in enumerate(endings)},
                "label": label,
            }
        )
    tr, va = split(rows, tmp_path, "mc")
    out = tmp_path / "out"
    assert cli(finetune("multiple-choice", pretrained, tr, va, out, "--max-steps", "150", "--batch-size", "8")) == 0
    assert results(out)["eval_accuracy"] > 0.7  # chance: 0.25
    transformers.AutoModelForMultipleChoice.from_pretrained(out)


@pytest.mark.parametrize("task", ["fill-mask", "text-generation"])
def test_language_modelling(tmp_path, pretrained, task):
    train = write_corpus(tmp_path / "lm_train.txt", 200, seed=6)
    valid = write_corpus(tmp_path / "lm_valid.txt", 30, seed=7)
    out = tmp_path / "out"
    assert (
        cli(
            finetune(
                task, pretrained, train, valid, out, "--max-steps", "60", "--max-seq-length", "32", "--eval-steps", "1"
            )
        )
        == 0
    )
    evals = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if "eval_loss" in x]
    assert evals[-1]["eval_perplexity"] < (0.95 if task == "fill-mask" else 0.7) * evals[0]["eval_perplexity"]
    assert evals[-1]["eval_perplexity"] < 20  # uniform over the vocabulary: ~300
    cls = transformers.AutoModelForMaskedLM if task == "fill-mask" else transformers.AutoModelForCausalLM
    assert cls.from_pretrained(out).config.is_decoder == (task == "text-generation")


def test_transformers_saved_model_finetunes(tmp_path, tokenizer_dir):
    tok = transformers.AutoTokenizer.from_pretrained(tokenizer_dir)
    cfg = transformers.RobertaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=66,
    )
    start = tmp_path / "ref"
    transformers.RobertaForMaskedLM(cfg).save_pretrained(start)
    for f in tokenizer_dir.iterdir():
        shutil.copy(f, start)
    rng = random.Random(8)
    rows = []
    for _ in range(200):
        n, s = sentence(rng)
        rows.append({"text": s, "label": "first" if n < 3 else "second"})
    tr, va = split(rows, tmp_path, "cls")
    out = tmp_path / "out"
    assert cli(finetune("text-classification", start, tr, va, out, "--max-steps", "60")) == 0
    assert results(out)["eval_accuracy"] > 0.75
    transformers.AutoModelForSequenceClassification.from_pretrained(out)
