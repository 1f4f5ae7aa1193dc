"""Every head, both backends, every position type, padding left and right: same numbers as the reference."""

from __future__ import annotations

import pytest
import torch
import transformers

import roberta
from roberta_testing import HEAD_ROWS, HEADS, TOL, assert_close, batch, make_reference

POSITIONS = ["absolute", "relative_key", "relative_key_query"]
REF_BACKEND = {"unpadded": "sdpa"}  # the reference has no unpadded backend; compare with its sdpa


def labels_for(head: str, ids, mask, config):
    b, t = ids.shape
    if head in ("RobertaForMaskedLM", "RobertaForCausalLM"):
        labels = ids.clone()
        labels[mask == 0] = -100
        labels[:, ::3] = -100
        return {"labels": labels}
    if head == "RobertaForSequenceClassification":
        return {"labels": torch.randint(0, config.num_labels, (b,))}
    if head == "RobertaForTokenClassification":
        labels = torch.randint(0, config.num_labels, (b, t))
        labels[mask == 0] = -100
        return {"labels": labels}
    if head == "RobertaForQuestionAnswering":
        return {"start_positions": torch.tensor([1, 3, 40]), "end_positions": torch.tensor([2, 5, -1])}
    return {}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("backend", ["eager", "sdpa", "unpadded"])
@pytest.mark.parametrize("head", HEADS)
def test_head_matches_reference(tmp_path, head, backend, position):
    ref = make_reference(head, tmp_path, position_embedding_type=position)  # + the config its head needs
    ours = getattr(roberta, head).from_pretrained(tmp_path, attn_implementation=backend)
    ref = (
        getattr(transformers, head)
        .from_pretrained(tmp_path, attn_implementation=REF_BACKEND.get(backend, backend))
        .eval()
    )
    for side in ("right", "left"):
        ids, mask = batch(side)
        kwargs = dict(input_ids=ids, attention_mask=mask, token_type_ids=(ids % 2), output_hidden_states=True)
        kwargs.update(labels_for(head, ids, mask, ref.config))
        if HEAD_ROWS[head].choices:  # (1, 3 choices, T)
            kwargs = {
                k: (v.view(1, 3, -1) if k != "output_hidden_states" and v.dim() == 2 else v) for k, v in kwargs.items()
            }
            kwargs["labels"] = torch.tensor([2])
        with torch.no_grad():
            a, b = ref(**kwargs), ours(**kwargs)
        check_mask = mask  # multiple choice: hidden states are (batch * choices, T, H), the same rows
        assert set(a.keys()) == set(b.keys()) - {"past_key_values"} or set(a.keys()) == set(b.keys())
        for key in a.keys():
            if key == "past_key_values":
                continue
            assert_close(a[key], b[key], check_mask, f"{head}/{backend}/{position}/{side}/{key}")


@pytest.mark.parametrize("backend", ["eager", "sdpa", "unpadded"])
@pytest.mark.parametrize("position", POSITIONS)
def test_attentions_and_head_mask(tmp_path, backend, position):
    make_reference("RobertaForMaskedLM", tmp_path, position_embedding_type=position)
    ref = transformers.RobertaForMaskedLM.from_pretrained(tmp_path, attn_implementation="eager").eval()
    ours = roberta.RobertaForMaskedLM.from_pretrained(tmp_path, attn_implementation=backend)
    ids, mask = batch("right")
    head_mask = torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.5]])
    with torch.no_grad():
        a = ref(input_ids=ids, attention_mask=mask, head_mask=head_mask, output_attentions=True)
        b = ours(input_ids=ids, attention_mask=mask, head_mask=head_mask, output_attentions=True)
    assert len(b.attentions) == 2 and b.attentions[0].shape == (3, 4, 12, 12)
    assert b.attentions[0][:, 1].abs().max() == 0  # head 1 of layer 0 masked out
    assert_close(a.attentions, b.attentions, None, "attentions")
    assert_close(a.logits, b.logits, mask, "logits")


def test_return_dict_false_gives_reference_tuples(tmp_path):
    make_reference("RobertaModel", tmp_path)
    ref = transformers.RobertaModel.from_pretrained(tmp_path, add_pooling_layer=False).eval()
    ours = roberta.RobertaModel.from_pretrained(tmp_path, add_pooling_layer=False)
    ids, mask = batch("right")
    a = ref(input_ids=ids, attention_mask=mask, output_hidden_states=True, return_dict=False)
    b = ours(input_ids=ids, attention_mask=mask, output_hidden_states=True, return_dict=False)
    assert isinstance(b, tuple) and len(a) == len(b)
    assert b[1] is None and a[1] is None  # the pooled slot stays even without a pooler
    assert_close(a[0], b[0], mask)
    assert_close(a[2], b[2], mask)


def test_inputs_embeds_and_position_ids(tmp_path):
    make_reference("RobertaModel", tmp_path)
    ref = transformers.RobertaModel.from_pretrained(tmp_path).eval()
    ours = roberta.RobertaModel.from_pretrained(tmp_path)
    ids, mask = batch("right")
    embeds = ours.get_input_embeddings()(ids).detach()
    pos = torch.arange(2, 14).expand(3, -1)
    with torch.no_grad():
        assert_close(ref(inputs_embeds=embeds).last_hidden_state, ours(inputs_embeds=embeds).last_hidden_state)
        assert_close(
            ref(input_ids=ids, position_ids=pos).last_hidden_state,
            ours(input_ids=ids, position_ids=pos).last_hidden_state,
        )


def test_training_losses_and_gradients_match(tmp_path):
    make_reference("RobertaForMaskedLM", tmp_path)
    ref = transformers.RobertaForMaskedLM.from_pretrained(tmp_path, attn_implementation="eager")
    ours = roberta.RobertaForMaskedLM.from_pretrained(tmp_path, attn_implementation="eager")
    ref.config.hidden_dropout_prob = 0.0
    ids, mask = batch("right")
    labels = ids.clone()
    labels[mask == 0] = -100
    a = ref(input_ids=ids, attention_mask=mask, labels=labels)
    b = ours(input_ids=ids, attention_mask=mask, labels=labels)
    a.loss.backward()
    b.loss.backward()
    assert abs(a.loss.item() - b.loss.item()) < TOL
    ga = ref.roberta.embeddings.word_embeddings.weight.grad
    gb = ours.roberta.embeddings.word_embeddings.weight.grad
    assert (ga - gb).abs().max() < TOL


@pytest.mark.parametrize(
    "problem,labels",
    [
        ("regression", torch.tensor([[0.5], [-1.0], [2.0]])),
        ("multi_label_classification", torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])),
        ("single_label_classification", torch.tensor([0, 2, 1])),
    ],
)
def test_sequence_classification_problem_types(tmp_path, problem, labels):
    num_labels = labels.shape[-1] if labels.dim() == 2 else 3
    make_reference("RobertaForSequenceClassification", tmp_path, num_labels=num_labels)
    ref = transformers.RobertaForSequenceClassification.from_pretrained(tmp_path).eval()
    ours = roberta.RobertaForSequenceClassification.from_pretrained(tmp_path)
    ids, mask = batch("right")
    with torch.no_grad():
        a = ref(input_ids=ids, attention_mask=mask, labels=labels)
        b = ours(input_ids=ids, attention_mask=mask, labels=labels)
    assert ours.config.problem_type == ref.config.problem_type == problem
    assert abs(a.loss.item() - b.loss.item()) < TOL


def test_gradient_checkpointing_gives_same_gradients(tmp_path):
    make_reference("RobertaForMaskedLM", tmp_path, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    plain = roberta.RobertaForMaskedLM.from_pretrained(tmp_path).train()
    ckpt = roberta.RobertaForMaskedLM.from_pretrained(tmp_path).train()
    ckpt.gradient_checkpointing_enable()
    assert ckpt.is_gradient_checkpointing and not plain.is_gradient_checkpointing
    ids, mask = batch("right")
    for m in (plain, ckpt):
        m(input_ids=ids, attention_mask=mask, labels=ids).loss.backward()
    for (n, p), (_, q) in zip(plain.named_parameters(), ckpt.named_parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-6), n
