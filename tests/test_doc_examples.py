"""The model documentation's example for each head, run as written with `roberta` imports.

Each example runs twice on the same random-weight checkpoint directory (standing in for the hub id):
once importing from `roberta`, once from `transformers`. Both must print the same things.
"""

from __future__ import annotations

import shutil

import pytest
import torch
import transformers

import roberta
from roberta_testing import HEADS, TINY, head_config


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, roberta_base_dir):
    """One random-weight directory per head, with the real roberta-base tokenizer files beside the weights."""
    dirs = {}
    for head in HEADS:
        d = tmp_path_factory.mktemp(head)
        torch.manual_seed(0)
        config = transformers.RobertaConfig(
            **{**TINY, "vocab_size": 50265, "max_position_embeddings": 130, **head_config(head)}
        )
        getattr(transformers, head)(config).save_pretrained(d)
        for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"):
            shutil.copy(roberta_base_dir / name, d / name)
        dirs[head] = str(d)
    return dirs


def base_model(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.RobertaModel.from_pretrained(ckpt)
    inputs = tokenizer("Hello, my dog is cute", return_tensors="pt")
    outputs = model(**inputs)
    return {"last_hidden_states": outputs.last_hidden_state}


def masked_lm(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.RobertaForMaskedLM.from_pretrained(ckpt)
    inputs = tokenizer("The capital of France is <mask>.", return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    mask_token_index = (inputs.input_ids == tokenizer.mask_token_id)[0].nonzero(as_tuple=True)[0]
    predicted_token_id = logits[0, mask_token_index].argmax(axis=-1)
    decoded = tokenizer.decode(predicted_token_id)
    labels = tokenizer("The capital of France is Paris.", return_tensors="pt")["input_ids"]
    labels = torch.where(inputs.input_ids == tokenizer.mask_token_id, labels, -100)
    outputs = model(**inputs, labels=labels)
    return {"decoded": decoded, "loss": round(outputs.loss.item(), 2), "logits": logits}


def causal_lm(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    config = lib.AutoConfig.from_pretrained(ckpt)
    config.is_decoder = True
    model = lib.RobertaForCausalLM.from_pretrained(ckpt, config=config)
    inputs = tokenizer("Hello, my dog is cute", return_tensors="pt")
    outputs = model(**inputs, labels=inputs["input_ids"])
    return {"loss": outputs.loss, "logits": outputs.logits}


def sequence_classification(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.RobertaForSequenceClassification.from_pretrained(ckpt)
    inputs = tokenizer("Hello, my dog is cute", return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    predicted_class_id = logits.argmax().item()
    label = model.config.id2label[predicted_class_id]
    num_labels = len(model.config.id2label)
    model = lib.RobertaForSequenceClassification.from_pretrained(ckpt, num_labels=num_labels)
    labels = torch.tensor([1])
    loss = model(**inputs, labels=labels).loss
    single = {"label": label, "loss": round(loss.item(), 2), "logits": logits}

    model = lib.RobertaForSequenceClassification.from_pretrained(ckpt, problem_type="multi_label_classification")
    with torch.no_grad():
        logits = model(**inputs).logits
    predicted_class_ids = torch.arange(0, logits.shape[-1])[torch.sigmoid(logits).squeeze(dim=0) > 0.5]
    model = lib.RobertaForSequenceClassification.from_pretrained(
        ckpt, num_labels=num_labels, problem_type="multi_label_classification"
    )
    labels = torch.sum(
        torch.nn.functional.one_hot(predicted_class_ids[None, :].clone(), num_classes=num_labels), dim=1
    ).to(torch.float)
    loss = model(**inputs, labels=labels).loss
    return {**single, "multi_ids": predicted_class_ids, "multi_loss": loss}


def multiple_choice(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.RobertaForMultipleChoice.from_pretrained(ckpt)
    prompt = "In Italy, pizza served in formal settings, such as at a restaurant, is presented unsliced."
    choice0 = "It is eaten with a fork and a knife."
    choice1 = "It is eaten while held in the hand."
    labels = torch.tensor(0).unsqueeze(0)
    encoding = tokenizer([prompt, prompt], [choice0, choice1], return_tensors="pt", padding=True)
    outputs = model(**{k: v.unsqueeze(0) for k, v in encoding.items()}, labels=labels)
    return {"loss": outputs.loss, "logits": outputs.logits}


def token_classification(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.RobertaForTokenClassification.from_pretrained(ckpt)
    inputs = tokenizer(
        "HuggingFace is a company based in Paris and New York", add_special_tokens=False, return_tensors="pt"
    )
    with torch.no_grad():
        logits = model(**inputs).logits
    predicted_token_class_ids = logits.argmax(-1)
    classes = [model.config.id2label[t.item()] for t in predicted_token_class_ids[0]]
    labels = predicted_token_class_ids
    loss = model(**inputs, labels=labels).loss
    return {"classes": classes, "loss": round(loss.item(), 2)}


def question_answering(lib, ckpt):
    tokenizer = lib.AutoTokenizer.from_pretrained(ckpt)
    model = lib.RobertaForQuestionAnswering.from_pretrained(ckpt)
    question, text = "Who was Jim Henson?", "Jim Henson was a nice puppet"
    inputs = tokenizer(question, text, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**inputs)
    answer_start_index = outputs.start_logits.argmax()
    answer_end_index = outputs.end_logits.argmax()
    predict_answer_tokens = inputs.input_ids[0, answer_start_index : answer_end_index + 1]
    answer = tokenizer.decode(predict_answer_tokens, skip_special_tokens=True)
    target_start_index = torch.tensor([14])
    target_end_index = torch.tensor([15])
    outputs = model(**inputs, start_positions=target_start_index, end_positions=target_end_index)
    return {"answer": answer, "loss": round(outputs.loss.item(), 2), "start": outputs.start_logits}


EXAMPLES = {
    "RobertaModel": base_model,
    "RobertaForMaskedLM": masked_lm,
    "RobertaForCausalLM": causal_lm,
    "RobertaForSequenceClassification": sequence_classification,
    "RobertaForMultipleChoice": multiple_choice,
    "RobertaForTokenClassification": token_classification,
    "RobertaForQuestionAnswering": question_answering,
}


@pytest.mark.parametrize("head", HEADS)
def test_documentation_example_runs_and_matches(checkpoints, head):
    ours = EXAMPLES[head](roberta, checkpoints[head])
    ref = EXAMPLES[head](transformers, checkpoints[head])
    assert ours.keys() == ref.keys()
    for key in ours:
        a, b = ours[key], ref[key]
        if isinstance(a, torch.Tensor):
            assert a.shape == b.shape, key
            assert (a.detach().float() - b.detach().float()).abs().max() <= 2e-4, key
        else:
            assert a == b, key
