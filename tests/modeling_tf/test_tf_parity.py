"""Every TF class, eager and under tf.function: the reference's TF classes' numbers and our PyTorch classes'."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import torch
import transformers
from tf_testing import as_torch, assert_tf_close, make_tf_reference

import roberta
from roberta_testing import HEAD_ROWS, HEADS, TOL, batch, make_reference


def labels_for(head: str, ids, mask, num_labels: int) -> dict:
    b, t = ids.shape
    if head in ("RobertaForMaskedLM", "RobertaForCausalLM"):
        labels = ids.clone()
        labels[mask == 0] = -100
        labels[:, ::3] = -100
        return {"labels": labels}
    if head == "RobertaForSequenceClassification":
        return {"labels": torch.randint(0, num_labels, (b,))}
    if head == "RobertaForTokenClassification":
        labels = torch.randint(0, num_labels, (b, t))
        labels[mask == 0] = -100
        return {"labels": labels}
    if head == "RobertaForQuestionAnswering":  # in range: the reference's TF loss fails on others
        return {"start_positions": torch.tensor([1, 3, 4]), "end_positions": torch.tensor([2, 5, 7])}
    return {}


def inputs_for(head: str, side: str, num_labels: int) -> dict:
    ids, mask = batch(side)
    kwargs = dict(input_ids=ids, attention_mask=mask, token_type_ids=ids % 2, **labels_for(head, ids, mask, num_labels))
    if HEAD_ROWS[head].choices:  # (1, 3 choices, seq)
        kwargs = {k: v.view(1, 3, -1) if v.dim() == 2 else v for k, v in kwargs.items()}
        kwargs["labels"] = torch.tensor([2])
    return kwargs


@pytest.mark.parametrize("head", HEADS)
def test_head_matches_reference_tf_and_our_pytorch(tmp_path, head):
    ref = make_tf_reference(head, tmp_path)  # with the config its head needs (is_decoder)
    ours = getattr(roberta, "TF" + head).from_pretrained(tmp_path)
    pt = getattr(roberta, head).from_pretrained(tmp_path, from_tf=True)
    traced = tf.function(lambda kw: ours(**kw, output_hidden_states=True))
    for side in ("right", "left"):
        kwargs = inputs_for(head, side, ours.config.num_labels)
        mask = kwargs["attention_mask"].reshape(-1, kwargs["attention_mask"].shape[-1])
        arrays = {k: v.numpy() for k, v in kwargs.items()}
        a = ref(**arrays, output_hidden_states=True)
        b = ours(**arrays, output_hidden_states=True)
        g = traced({k: tf.constant(v) for k, v in arrays.items()})
        with torch.no_grad():
            c = pt(**kwargs, output_hidden_states=True)
        keys = [k for k in b.keys() if k != "past_key_values"]
        assert keys == [k for k in c.keys() if k != "past_key_values"], f"{head}: fields {keys}"
        # the reference's TF multiple-choice head passes its flags in the wrong places and drops hidden_states
        assert set(a.keys()) - {"past_key_values"} <= set(keys)
        for key in keys:
            what = f"{head}/{side}/{key}"
            if key in a:
                assert np.shape(a[key]) == np.shape(b[key]), what
                assert_tf_close(a[key], b[key], mask, f"{what} (reference TF)")
            assert_tf_close(g[key], b[key], mask, f"{what} (tf.function)")
            if key == "loss":  # sentence-level TF losses are per example; PyTorch's is their mean
                assert abs(float(np.mean(b[key])) - c.loss.item()) < TOL, what
            else:
                assert_tf_close(b[key], c[key], mask, f"{what} (our PyTorch)")


@pytest.mark.parametrize("position", ["relative_key", "relative_key_query"])
@pytest.mark.parametrize("head", ["RobertaForMaskedLM", "RobertaForCausalLM"])
def test_relative_positions_match_our_pytorch(tmp_path, head, position):
    """The reference's TF classes know only absolute positions; ours follow the PyTorch model."""
    overrides = {"position_embedding_type": position, "is_decoder": head == "RobertaForCausalLM"}
    make_reference(head, tmp_path, **overrides)  # a PyTorch checkpoint: read without torch by the TF class
    ref = getattr(transformers, head).from_pretrained(tmp_path, attn_implementation="eager").eval()
    ours = getattr(roberta, "TF" + head).from_pretrained(tmp_path)
    for side in ("right", "left"):
        ids, mask = batch(side)
        labels = labels_for(head, ids, mask, 2)["labels"]
        with torch.no_grad():
            a = ref(input_ids=ids, attention_mask=mask, labels=labels, output_attentions=True)
        b = ours(input_ids=ids.numpy(), attention_mask=mask.numpy(), labels=labels.numpy(), output_attentions=True)
        assert_tf_close(a.logits, b.logits, mask, f"{head}/{position}/{side}/logits")
        assert_tf_close(a.attentions, b.attentions, None, f"{head}/{position}/{side}/attentions")
        assert abs(a.loss.item() - float(b.loss[0])) < TOL


def test_attentions_and_head_mask_match_pytorch(tmp_path):
    """head_mask works (the reference's TF classes raise NotImplementedError for it)."""
    make_tf_reference("RobertaForMaskedLM", tmp_path)
    ours = roberta.TFRobertaForMaskedLM.from_pretrained(tmp_path)
    pt = roberta.RobertaForMaskedLM.from_pretrained(tmp_path, from_tf=True, attn_implementation="eager")
    ids, mask = batch("right")
    head_mask = torch.tensor([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.5]])
    with torch.no_grad():
        a = pt(input_ids=ids, attention_mask=mask, head_mask=head_mask, output_attentions=True)
    b = ours(input_ids=ids.numpy(), attention_mask=mask.numpy(), head_mask=head_mask.numpy(), output_attentions=True)
    assert len(b.attentions) == 2 and b.attentions[0].shape == (3, 4, 12, 12)
    assert float(tf.reduce_max(tf.abs(b.attentions[0][:, 1]))) == 0.0  # head 1 of layer 0 masked out
    assert_tf_close(a.attentions, b.attentions, None, "attentions")
    assert_tf_close(a.logits, b.logits, mask, "logits")


def test_decoder_cross_attention_and_cache(tmp_path):
    """Cross-attention matches both references; feeding the cache step by step equals a full pass."""
    ref = make_tf_reference("RobertaForCausalLM", tmp_path, is_decoder=True, add_cross_attention=True)
    ours = roberta.TFRobertaForCausalLM.from_pretrained(tmp_path)
    pt = roberta.RobertaForCausalLM.from_pretrained(tmp_path, from_tf=True)
    rng = np.random.default_rng(0)
    ids = rng.integers(3, 99, (2, 9))
    enc = rng.standard_normal((2, 5, 32)).astype(np.float32)
    enc_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    kwargs = dict(input_ids=ids, encoder_hidden_states=enc, encoder_attention_mask=enc_mask, output_attentions=True)
    a, b = ref(**kwargs, labels=ids), ours(**kwargs, labels=ids)
    with torch.no_grad():
        c = pt(**{k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()})
    assert_tf_close(a.logits, b.logits, None, "logits")
    assert_tf_close(a.cross_attentions, b.cross_attentions, None, "cross_attentions")
    assert_tf_close(c.logits, b.logits, None, "logits (our PyTorch)")
    assert abs(float(a.loss[0]) - float(b.loss[0])) < TOL

    full = ours(input_ids=ids, encoder_hidden_states=enc).logits
    out = ours(input_ids=ids[:, :5], encoder_hidden_states=enc, use_cache=True)
    assert len(out.past_key_values) == 2 and len(out.past_key_values[0]) == 4  # self k, v + cross k, v
    steps = [out.logits]
    for t in (5, 6):
        out = ours(input_ids=ids[:, t : t + 1], encoder_hidden_states=enc, past_key_values=out.past_key_values)
        steps.append(out.logits)
    out = ours(input_ids=ids[:, 7:], encoder_hidden_states=enc, past_key_values=out.past_key_values)
    assert_tf_close(full, tf.concat([*steps, out.logits], axis=1), None, "cached steps")


def test_input_forms_and_tuples(tmp_path):
    """Keywords, one positional tensor, a list and a dict give the same outputs; return_dict=False gives the
    reference's tuple; inputs_embeds alone works (the reference's TF classes reject it)."""
    ref = make_tf_reference("RobertaForSequenceClassification", tmp_path)
    ours = roberta.TFRobertaForSequenceClassification.from_pretrained(tmp_path)
    ids, mask = (t.numpy() for t in batch("right"))
    expected = ours(input_ids=ids, attention_mask=mask).logits
    assert_tf_close(ours([ids, mask]).logits, expected)
    assert_tf_close(ours({"input_ids": ids, "attention_mask": mask}).logits, expected)
    assert_tf_close(ours(ids).logits, ref(ids).logits)
    assert_tf_close(ours(ids.tolist()).logits, ref(ids).logits)
    tup = ours(ids, attention_mask=mask, labels=np.array([0, 1, 1]), return_dict=False)
    ref_tup = ref(ids, attention_mask=mask, labels=np.array([0, 1, 1]), return_dict=False)
    assert isinstance(tup, tuple) and len(tup) == len(ref_tup) == 2
    assert_tf_close(tup[0], ref_tup[0])
    embeds = tf.gather(ours.get_input_embeddings(), ids)
    assert_tf_close(ours(inputs_embeds=embeds, attention_mask=mask).logits, expected)
    assert ours(ids, training=True).logits.shape == (3, 2)


@pytest.mark.parametrize(
    "problem,labels",
    [
        ("regression", np.array([[0.5], [-1.0], [2.0]], np.float32)),
        ("multi_label_classification", np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0]], np.float32)),
        ("single_label_classification", np.array([0, 2, 1])),
    ],
)
def test_sequence_classification_problem_types(tmp_path, problem, labels):
    """Per-example losses whose mean is PyTorch's loss, for every problem type (inferred and recorded)."""
    num_labels = labels.shape[-1] if labels.ndim == 2 else 3
    make_reference("RobertaForSequenceClassification", tmp_path, num_labels=num_labels)
    pt = roberta.RobertaForSequenceClassification.from_pretrained(tmp_path)
    ours = roberta.TFRobertaForSequenceClassification.from_pretrained(tmp_path)
    ids, mask = batch("right")
    with torch.no_grad():
        a = pt(input_ids=ids, attention_mask=mask, labels=torch.from_numpy(labels))
    b = ours(input_ids=ids.numpy(), attention_mask=mask.numpy(), labels=labels)
    assert ours.config.problem_type == pt.config.problem_type == problem
    assert b.loss.shape == (3,) and abs(float(tf.reduce_mean(b.loss)) - a.loss.item()) < TOL


def test_question_answering_positions_past_the_end_do_not_count(tmp_path):
    make_reference("RobertaForQuestionAnswering", tmp_path)
    pt = roberta.RobertaForQuestionAnswering.from_pretrained(tmp_path)
    ours = roberta.TFRobertaForQuestionAnswering.from_pretrained(tmp_path)
    ids, mask = batch("right")
    start, end = torch.tensor([1, 3, 40]), torch.tensor([2, 40, 7])  # 40 is past the 12 tokens
    with torch.no_grad():
        a = pt(input_ids=ids, attention_mask=mask, start_positions=start, end_positions=end)
    b = ours(
        input_ids=ids.numpy(), attention_mask=mask.numpy(), start_positions=start.numpy(), end_positions=end.numpy()
    )
    full = as_torch(b.loss)
    assert torch.isfinite(full).all()
    # PyTorch averages each of start / end over the positions that count; the TF loss zeroes the others
    s = torch.nn.functional.cross_entropy(as_torch(b.start_logits)[:2], start[:2])
    e = torch.nn.functional.cross_entropy(as_torch(b.end_logits)[[0, 2]], end[[0, 2]])
    assert abs(((s + e) / 2).item() - a.loss.item()) < TOL


@pytest.mark.parametrize("head", HEADS)
def test_call_signature_is_the_reference_one(head):
    """Keras and users call `call` positionally: its parameters are the reference's, in order, defaults alike."""
    import inspect

    def params(cls):
        return [(p.name, p.default) for p in inspect.signature(getattr(cls, "TF" + head).call).parameters.values()]

    assert params(roberta) == params(transformers)
    call = getattr(roberta, "TF" + head).call  # what Keras reads: getfullargspec sees __signature__, not __wrapped__
    assert inspect.getfullargspec(call).args == list(inspect.signature(call).parameters)
