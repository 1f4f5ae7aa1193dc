"""Decoders: the key/value cache reproduces a full pass, and generate agrees with PyTorch's generation."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import torch

import roberta
from flax_testing import max_diff
from roberta_testing import TINY, TOL


def _decoder(tmp_path, **overrides):
    """Our PyTorch decoder (confident random weights, so greedy choices are not float ties) and its Flax twin."""
    torch.manual_seed(0)
    config = roberta.RobertaConfig(**{**TINY, "is_decoder": True, "initializer_range": 0.5, **overrides})
    torch_model = roberta.RobertaForCausalLM(config).eval()
    torch_model.save_pretrained(tmp_path)
    return torch_model, roberta.FlaxRobertaForCausalLM.from_pretrained(tmp_path)


@pytest.mark.parametrize(
    "overrides",
    [{}, {"add_cross_attention": True, "position_embedding_type": "relative_key_query"}],
    ids=["plain", "cross+relative"],
)
def test_cache_steps_equal_a_full_pass(tmp_path, overrides):
    torch_model, ours = _decoder(tmp_path, **overrides)
    ids = np.random.default_rng(0).integers(3, 99, (2, 7))
    enc = np.random.default_rng(1).standard_normal((2, 4, 32)).astype(np.float32) if overrides else None
    with torch.no_grad():
        full = torch_model(
            input_ids=torch.from_numpy(ids), encoder_hidden_states=None if enc is None else torch.from_numpy(enc)
        ).logits.numpy()
    cache = ours.init_cache(2, 10)
    logits = []
    for start, stop in ((0, 4), (4, 5), (5, 7)):  # a prefix, one token, a chunk
        out = ours(ids[:, start:stop], past_key_values=cache, encoder_hidden_states=enc)
        logits.append(np.asarray(out.logits))
        cache = out.past_key_values
    assert int(cache["roberta"]["cache_index"]) == 7
    assert max_diff(np.concatenate(logits, axis=1), full) <= 5 * TOL  # weights of std 0.5: large logits


@pytest.mark.parametrize("from_zero", [False, True])
def test_greedy_generate_agrees_with_pytorch_generation(tmp_path, roberta_base_dir, from_zero):
    torch_model, ours = _decoder(tmp_path)
    pipe = roberta.pipeline("text-generation", model=torch_model, tokenizer=roberta_base_dir)
    prompts = np.random.default_rng(2).integers(3, 99, (3, 5))
    want = pipe.generate_ids(prompts.tolist(), max_new_tokens=12, eos_token_id=2, position_ids_from_zero=from_zero)
    got = ours.generate(prompts, max_new_tokens=12, position_ids_from_zero=from_zero).sequences
    assert got.shape == (3, 17)
    for row, expected in zip(np.asarray(got).tolist(), want):
        new = row[5:]
        cut = new.index(2) + 1 if 2 in new else len(new)  # PyTorch stops a row at eos; Flax pads after it
        assert row[: 5 + cut] == expected
        assert all(t == 1 for t in new[cut:])


def test_sampling(tmp_path):
    _, ours = _decoder(tmp_path, add_cross_attention=True)
    prompts = np.random.default_rng(3).integers(3, 99, (2, 4))
    enc = np.ones((2, 3, 32), np.float32)

    def sample(seed, **kw):
        out = ours.generate(prompts, max_new_tokens=6, do_sample=True, prng_key=jax.random.PRNGKey(seed),
                            encoder_hidden_states=enc, eos_token_id=-1, **kw)  # fmt: skip
        return np.asarray(out.sequences)

    first = sample(0, top_k=5)
    assert (first == sample(0, top_k=5)).all()  # a key decides the draw
    assert any((sample(s, top_k=5) != first).any() for s in (1, 2, 3))
    greedy = np.asarray(ours.generate(prompts, max_new_tokens=6, encoder_hidden_states=enc, eos_token_id=-1).sequences)
    assert (sample(4, top_k=1) == greedy).all()  # top_k=1 is greedy
    # every sampled first token is among the top 5 of the prompt's last logits
    top5 = np.argsort(np.asarray(ours(prompts, encoder_hidden_states=enc).logits[:, -1]), axis=-1)[:, -5:]
    assert all(first[i, 4] in top5[i] for i in range(2))
    nucleus = sample(5, top_p=1e-6)  # a tiny nucleus keeps only the most likely token: greedy again
    assert (nucleus == greedy).all()


def test_decoder_errors(tmp_path, reference_checkpoints):
    _, ours = _decoder(tmp_path)
    with pytest.raises(ValueError, match="leaves no room"):
        ours.generate(np.ones((1, 5), np.int64), max_length=5)
    with pytest.raises(ValueError, match="exceeds the"):
        ours.generate(np.ones((1, 5), np.int64), max_length=100)
    with pytest.raises(ValueError, match="top_p"):
        ours.generate(np.ones((1, 5), np.int64), do_sample=True, top_p=1.5)
    encoder = roberta.FlaxRobertaModel.from_pretrained(reference_checkpoints["RobertaModel"])
    with pytest.raises(ValueError, match="is_decoder=True"):
        encoder.init_cache(1, 8)
    classifier = roberta.FlaxRobertaForSequenceClassification.from_pretrained(
        reference_checkpoints["RobertaForSequenceClassification"]
    )
    with pytest.raises(TypeError, match="takes no past_key_values"):
        classifier(np.ones((1, 3), np.int64), past_key_values={})
