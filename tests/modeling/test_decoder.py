"""Decoder mode: causal mask, cross-attention, and a KV cache that reproduces a full pass."""

from __future__ import annotations

import pytest
import torch
import transformers

import roberta
from roberta_testing import TOL, assert_close, make_reference

POSITIONS = ["absolute", "relative_key", "relative_key_query"]
REF_BACKEND = {"unpadded": "sdpa"}  # the reference has no unpadded backend; compare with its sdpa


def decoder(tmp_path, position, backend="sdpa", cross=True):
    make_reference(
        "RobertaForCausalLM", tmp_path, is_decoder=True, add_cross_attention=cross, position_embedding_type=position
    )
    ref = transformers.RobertaForCausalLM.from_pretrained(
        tmp_path, attn_implementation=REF_BACKEND.get(backend, backend)
    ).eval()
    ours = roberta.RobertaForCausalLM.from_pretrained(tmp_path, attn_implementation=backend)
    return ref, ours


@pytest.mark.parametrize("backend", ["eager", "sdpa", "unpadded"])
@pytest.mark.parametrize("position", POSITIONS)
def test_full_pass_with_cross_attention_matches_reference(tmp_path, position, backend):
    ref, ours = decoder(tmp_path, position, backend)
    ids = torch.randint(3, 99, (2, 9))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    enc = torch.randn(2, 5, 32)
    enc_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    kwargs = dict(
        input_ids=ids,
        attention_mask=mask,
        encoder_hidden_states=enc,
        encoder_attention_mask=enc_mask,
        output_attentions=True,
        labels=ids,
    )
    with torch.no_grad():
        a, b = ref(**kwargs), ours(**kwargs)
    assert_close(a.logits, b.logits, mask, "logits")
    assert_close(a.cross_attentions, b.cross_attentions, None, "cross_attentions")
    assert abs(a.loss.item() - b.loss.item()) < TOL


@pytest.mark.parametrize("position", POSITIONS)
def test_cache_steps_equal_full_pass(tmp_path, position):
    """Feed a prefix, then one token at a time, then a chunk of 3: logits equal a full pass, for every
    position type (the reference's relative-position cache is wrong for chunks; ours is not)."""
    _, ours = decoder(tmp_path, position)
    ids = torch.randint(3, 99, (2, 10))
    enc = torch.randn(2, 4, 32)
    with torch.no_grad():
        full = ours(input_ids=ids, encoder_hidden_states=enc).logits
        out = ours(input_ids=ids[:, :5], encoder_hidden_states=enc, use_cache=True)
        steps = [out.logits]
        cache = out.past_key_values
        assert cache.get_seq_length() == 5
        for t in (5, 6):
            out = ours(input_ids=ids[:, t : t + 1], encoder_hidden_states=enc, past_key_values=cache, use_cache=True)
            steps.append(out.logits)
            cache = out.past_key_values
        out = ours(input_ids=ids[:, 7:], encoder_hidden_states=enc, past_key_values=cache, use_cache=True)
        steps.append(out.logits)
    assert_close(full, torch.cat(steps, dim=1), None, "cached vs full")


def test_cache_matches_reference_step_by_step(tmp_path):
    ref, ours = decoder(tmp_path, "absolute", cross=False)
    ids = torch.randint(3, 99, (2, 8))
    with torch.no_grad():
        a = ref(input_ids=ids[:, :4], use_cache=True)
        b = ours(input_ids=ids[:, :4], use_cache=True)
        for t in range(4, 8):
            a = ref(input_ids=ids[:, t : t + 1], past_key_values=a.past_key_values, use_cache=True)
            b = ours(input_ids=ids[:, t : t + 1], past_key_values=b.past_key_values, use_cache=True)
            assert_close(a.logits, b.logits, None, f"step {t}")


def test_legacy_tuple_cache_is_accepted(tmp_path):
    _, ours = decoder(tmp_path, "absolute", cross=False)
    ids = torch.randint(3, 99, (1, 6))
    with torch.no_grad():
        first = ours(input_ids=ids[:, :5], use_cache=True)
        legacy = first.past_key_values.to_legacy_cache()
        assert len(legacy) == 2 and legacy[0][0].shape == (1, 4, 5, 8)
        a = ours(input_ids=ids[:, 5:], past_key_values=legacy).logits
        full = ours(input_ids=ids).logits[:, 5:]
    assert_close(a, full)


def test_causal_mask_blocks_future(tmp_path):
    _, ours = decoder(tmp_path, "absolute", cross=False)
    ids = torch.randint(3, 99, (1, 8))
    changed = ids.clone()
    changed[0, 6] = 50
    with torch.no_grad():
        a = ours(input_ids=ids).logits
        b = ours(input_ids=changed).logits
    assert torch.allclose(a[:, :6], b[:, :6], atol=1e-6)
    assert not torch.allclose(a[:, 6:], b[:, 6:], atol=1e-3)


def test_cache_position_agreeing_with_the_cache_is_the_reference_and_a_disagreeing_one_an_error(tmp_path):
    """The reference hands `cache_position` to its (dynamic) cache, which appends whatever it says: the right
    slots give its outputs, which ours match; wrong slots change nothing there, and are an error here."""
    make_reference("RobertaModel", tmp_path, is_decoder=True)
    ref = transformers.RobertaModel.from_pretrained(tmp_path).eval()
    ours = roberta.RobertaModel.from_pretrained(tmp_path).eval()
    ids = torch.randint(3, 99, (2, 6))
    with torch.no_grad():
        steps = []
        for model in (ref, ours):
            first = model(input_ids=ids[:, :4], use_cache=True, cache_position=torch.arange(4))
            cache = first.past_key_values
            second = model(
                input_ids=ids[:, 4:], past_key_values=cache, use_cache=True, cache_position=torch.arange(4, 6)
            )
            steps.append((first.last_hidden_state, second.last_hidden_state))
        for a, b in zip(*steps):
            assert_close(a, b, None, "last_hidden_state")

        cache = ref(input_ids=ids[:, :4], use_cache=True).past_key_values
        wrong = ref(input_ids=ids[:, 4:], past_key_values=cache, cache_position=torch.tensor([0, 1])).last_hidden_state
        assert_close(steps[0][1], wrong, None, "the reference ignores a wrong cache_position")

        cache = ours(input_ids=ids[:, :4], use_cache=True).past_key_values
        with pytest.raises(ValueError, match=r"cache_position \[0, 1\] disagrees with the cache, which holds 4"):
            ours(input_ids=ids[:, 4:], past_key_values=cache, cache_position=torch.tensor([0, 1]))
        with pytest.raises(ValueError, match="cache_position must be a 1-D tensor of the 2 new tokens"):
            ours(input_ids=ids[:, 4:], past_key_values=cache, cache_position=torch.arange(4, 7))
        with pytest.raises(ValueError, match="disagrees with the cache, which holds 0 tokens"):
            ours(input_ids=ids, cache_position=torch.arange(1, 7))
