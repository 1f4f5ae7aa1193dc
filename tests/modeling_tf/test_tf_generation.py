"""`TFRobertaForCausalLM.generate`: greedy agrees with our PyTorch generation token for token; sampling's rules."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tf_testing import make_tf_reference

import roberta
from roberta_testing import shared_dir

PROMPTS = np.array([[0, 17, 42, 8, 91, 33], [0, 5, 66, 12, 70, 41], [0, 88, 23, 54, 9, 3]])


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    """The reference's TF decoder (large init: decisive logits), ours and our PyTorch one on its weights."""
    path = tmp_path_factory.mktemp("decoder")
    ref = make_tf_reference("RobertaForCausalLM", path, is_decoder=True, initializer_range=0.3)
    ours = roberta.TFRobertaForCausalLM.from_pretrained(path)
    pipe = roberta.pipeline(
        "text-generation", model=roberta.RobertaForCausalLM.from_pretrained(path, from_tf=True), tokenizer=shared_dir()
    )
    return ref, ours, pipe


def _trim(row: list[int], eos: int) -> list[int]:
    return row[: row.index(eos) + 1] if eos in row else row


def test_greedy_agrees_with_pytorch_and_the_reference_tf_generate(decoder):
    ref, ours, pipe = decoder
    got = ours.generate(PROMPTS, max_new_tokens=12).numpy().tolist()
    expected = pipe.generate_ids(PROMPTS.tolist(), max_new_tokens=12, eos_token_id=2)
    assert [_trim(r, 2) for r in got] == expected
    assert len({tuple(r[6:]) for r in got}) > 1  # the rows really differ
    # the reference's TF generate counts positions as we do (its PyTorch generate counts from 0)
    theirs = ref.generate(PROMPTS, max_new_tokens=12, do_sample=False, pad_token_id=1).numpy().tolist()
    assert [_trim(r, 2) for r in theirs] == expected


def test_left_padding_and_eos(decoder):
    _, ours, _ = decoder
    alone = ours.generate(PROMPTS[:1, 2:], max_new_tokens=6).numpy()
    padded = np.concatenate([np.ones((1, 2), np.int64), PROMPTS[:1, 2:]], axis=1)
    mask = np.concatenate([np.zeros((1, 2), np.int64), np.ones((1, 4), np.int64)], axis=1)
    together = ours.generate(
        np.concatenate([padded, PROMPTS[1:2]]), np.concatenate([mask, np.ones((1, 6))]), max_new_tokens=6
    ).numpy()
    # positions count from the first real token; a row that meets eos (2) first is padded while the other goes on
    assert _trim(together[0, 6:].tolist(), 2) == _trim(alone[0, 4:].tolist(), 2)
    first = int(alone[0, 4])
    stopped = ours.generate(PROMPTS[:1, 2:], max_new_tokens=6, eos_token_id=first).numpy()
    assert stopped.tolist() == [PROMPTS[0, 2:].tolist() + [first]]  # every row finished: generation stops


def test_sampling_is_seeded_and_filtered(decoder):
    _, ours, _ = decoder
    a = ours.generate(PROMPTS, max_new_tokens=8, do_sample=True, top_k=5, temperature=0.8, seed=3).numpy()
    b = ours.generate(PROMPTS, max_new_tokens=8, do_sample=True, top_k=5, temperature=0.8, seed=3).numpy()
    c = ours.generate(PROMPTS, max_new_tokens=8, do_sample=True, top_k=5, temperature=0.8, seed=4).numpy()
    assert (a == b).all() and (a != c).any()
    # a full pass scores every step the same; positions as generation gives them (a sampled token may be the pad
    # id, which position ids computed from input ids would treat as padding)
    positions = np.broadcast_to(np.arange(a.shape[1]) + 2, a.shape)
    logits = ours(input_ids=a, attention_mask=np.ones_like(a), position_ids=positions, use_cache=False).logits.numpy()
    for step in range(6, a.shape[1]):
        top5 = np.argsort(logits[:, step - 1], axis=-1)[:, -5:]
        assert all(a[r, step] in top5[r] for r in range(len(a)) if 2 not in a[r, 6:step])
    greedy = ours.generate(PROMPTS, max_new_tokens=8).numpy()
    assert (ours.generate(PROMPTS, max_new_tokens=8, do_sample=True, top_k=1, seed=0).numpy() == greedy).all()
    nucleus = ours.generate(PROMPTS, max_new_tokens=8, do_sample=True, top_p=1e-6, seed=0).numpy()
    assert (nucleus == greedy).all()  # top-p keeps at least the most likely token


def test_generate_rejects_bad_options(decoder):
    _, ours, _ = decoder
    with pytest.raises(ValueError, match="max_new_tokens must be an int >= 1"):
        ours.generate(PROMPTS, max_new_tokens=0)
    with pytest.raises(ValueError, match="top_p must be a float in"):
        ours.generate(PROMPTS, do_sample=True, top_p=0)
    with pytest.raises(ValueError, match="exceeds the 62 positions"):
        ours.generate(PROMPTS, max_new_tokens=60)
    with pytest.raises(ValueError, match="integer ids shaped"):
        ours.generate(tf.constant([1, 2, 3]))
