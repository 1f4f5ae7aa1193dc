"""transformers' Trainer and data collators train, evaluate, resume and save our models (with adapt_trainer)."""

from __future__ import annotations

import math

import datasets
import torch
import transformers

import roberta
from roberta.trainer import adapt_trainer
from roberta_testing import save_pipeline_checkpoint

TEXTS = [
    "The cat sat on the mat.",
    "A dog runs in the park every morning.",
    "Plants create energy through photosynthesis.",
    "The capital of France is Paris.",
    "Water boils at one hundred degrees.",
    "She reads a book before sleeping.",
    "The train leaves at nine o'clock.",
    "Music fills the quiet room.",
] * 2


def _args(out, **overrides) -> transformers.TrainingArguments:
    settings = dict(
        output_dir=str(out),
        max_steps=4,
        per_device_train_batch_size=4,
        per_device_eval_batch_size=8,
        learning_rate=1e-3,
        save_steps=2,
        eval_strategy="steps",
        eval_steps=2,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        seed=0,
        save_safetensors=True,
        disable_tqdm=True,
    )
    settings.update(overrides)
    return transformers.TrainingArguments(**settings)


def _data(tok):
    ds = datasets.Dataset.from_dict({"text": TEXTS})
    return ds.map(lambda b: tok(b["text"], truncation=True, max_length=32), batched=True, remove_columns=["text"])


def test_trainer_trains_resumes_and_saves_a_folder_both_libraries_load(tmp_path, roberta_base_dir):
    path = save_pipeline_checkpoint(tmp_path, "mlm", "RobertaForMaskedLM", 1, roberta_base_dir)
    tok = roberta.RobertaTokenizerFast.from_pretrained(path)
    model = roberta.RobertaForMaskedLM.from_pretrained(path)
    before = model.roberta.encoder.layer[0].attention.self.query.weight.detach().clone()
    data = _data(tok)
    collator = transformers.DataCollatorForLanguageModeling(tok, mlm_probability=0.3)
    trainer = transformers.Trainer(
        model=model,
        args=_args(tmp_path / "run"),
        train_dataset=data,
        eval_dataset=data,
        data_collator=collator,
        processing_class=tok,
    )
    adapt_trainer(trainer)
    trainer.train()
    assert trainer.state.global_step == 4
    evals = [h["eval_loss"] for h in trainer.state.log_history if "eval_loss" in h]
    assert len(evals) == 2 and all(math.isfinite(v) for v in evals)
    assert not torch.equal(before, model.roberta.encoder.layer[0].attention.self.query.weight)
    checkpoint = tmp_path / "run" / "checkpoint-2"
    assert (checkpoint / "config.json").is_file() and (checkpoint / "tokenizer.json").is_file()

    # resume from the step-2 checkpoint in a new process-like setup: a fresh model and trainer
    resumed_model = roberta.RobertaForMaskedLM.from_pretrained(path)
    resumed = adapt_trainer(
        transformers.Trainer(
            model=resumed_model,
            args=_args(tmp_path / "run", max_steps=6),
            train_dataset=data,
            eval_dataset=data,
            data_collator=collator,
            processing_class=tok,
        )
    )
    resumed.train(resume_from_checkpoint=str(checkpoint))
    assert resumed.state.global_step == 6

    resumed.save_model(str(tmp_path / "final"))
    ref, ref_info = transformers.RobertaForMaskedLM.from_pretrained(tmp_path / "final", output_loading_info=True)
    ours, our_info = roberta.RobertaForMaskedLM.from_pretrained(tmp_path / "final", output_loading_info=True)
    for info in (ref_info, our_info):
        assert info["missing_keys"] == [] and info["unexpected_keys"] == [] and info["mismatched_keys"] == []
    ids = torch.tensor([tok("The cat sat on the <mask>.")["input_ids"]])
    resumed_model.eval()
    with torch.no_grad():
        want = resumed_model(input_ids=ids).logits
        assert torch.allclose(ref.eval()(input_ids=ids).logits, want, atol=1e-5)
        assert torch.allclose(ours(input_ids=ids).logits, want, atol=1e-5)
    assert roberta.AutoTokenizer.from_pretrained(tmp_path / "final")("a b")["input_ids"] == tok("a b")["input_ids"]


def test_trainer_fine_tunes_a_classifier_with_the_padding_collator(tmp_path, roberta_base_dir):
    path = save_pipeline_checkpoint(
        tmp_path, "cls", "RobertaForSequenceClassification", 2, roberta_base_dir, num_labels=2
    )
    tok = roberta.RobertaTokenizerFast.from_pretrained(path)
    model = roberta.RobertaForSequenceClassification.from_pretrained(path)
    data = _data(tok).add_column("labels", [i % 2 for i in range(len(TEXTS))])
    trainer = adapt_trainer(
        transformers.Trainer(
            model=model,
            args=_args(tmp_path / "run", max_steps=3, eval_steps=3, save_steps=3),
            train_dataset=data,
            eval_dataset=data,
            data_collator=transformers.DataCollatorWithPadding(tok),
            processing_class=tok,
        )
    )
    trainer.train()
    predictions = trainer.predict(data)
    assert predictions.predictions.shape == (len(TEXTS), 2)
    trainer.save_model(str(tmp_path / "final"))
    _, info = transformers.RobertaForSequenceClassification.from_pretrained(
        tmp_path / "final", output_loading_info=True
    )
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []


def test_adapt_trainer_refuses_what_is_not_a_trainer():
    import pytest

    with pytest.raises(TypeError, match="transformers.Trainer"):
        adapt_trainer(object())
