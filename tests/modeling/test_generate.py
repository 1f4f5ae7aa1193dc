"""`RobertaForCausalLM.generate`: each decoding mode equals a full-recompute loop written here (no cache, the
whole sequence each step), with the cache on and off, and equals the reference's `generate` on the same weights."""

from __future__ import annotations

import json

import pytest
import torch
import transformers
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

import roberta
from roberta_testing import batch, make_reference

PAD = 1
NEG = -1.0e9
# a large initializer_range makes the random model confident, so that rankings are not decided by float noise
CONFIDENT = dict(is_decoder=True, initializer_range=0.3)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """(reference, ours) on the same random weights, per position type."""
    out = {}
    for position in ("absolute", "relative_key"):
        path = tmp_path_factory.mktemp(position)
        torch.manual_seed(0)
        make_reference("RobertaForCausalLM", path, position_embedding_type=position, **CONFIDENT)
        ref = transformers.RobertaForCausalLM.from_pretrained(path, attn_implementation="eager").eval()
        out[position] = ref, roberta.RobertaForCausalLM.from_pretrained(path), path
    return out


@pytest.fixture
def ours(models):
    return models["absolute"][1]


def prompts(padded: bool):
    """Three prompts of 8 tokens, <s> first: left-padded by 0, 4 and 7 tokens, or not padded."""
    torch.manual_seed(1)
    ids, mask = batch("left", 3, 8)
    if not padded:
        ids[:, 0], ids[:, 1:] = 0, torch.randint(3, 99, (3, 7))
    return ids, mask if padded else torch.ones_like(ids)


# ---------------------------------------------------------------------- the loops written here
def last_logits(model, ids, mask, from_zero=False):
    """Next-token logits (batch, vocab) from a full pass over the whole sequence; positions from the whole mask
    (RoBERTa's: real tokens count from pad + 1; or the reference generate's, from 0)."""
    count = mask.cumsum(-1)
    positions = (count - 1).masked_fill(mask == 0, 1) if from_zero else count * mask + PAD
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask, position_ids=positions).logits[:, -1].float()


def loop_decode(model, ids, mask, new, eos=(), warpers=(), min_new=0, seed=None):
    """Greedy (no warpers) or sampled decoding by full recompute; ended rows continue with PAD."""
    if seed is not None:
        torch.manual_seed(seed)
    eos = torch.tensor(list(eos), dtype=torch.long)
    alive = torch.ones(ids.shape[0], dtype=torch.bool)
    for step in range(new):
        scores = last_logits(model, ids, mask)
        if step < min_new:
            scores[:, eos] = float("-inf")
        for warp in warpers:
            scores = warp(ids, scores)
        nxt = torch.multinomial(scores.softmax(-1), 1)[:, 0] if warpers else scores.argmax(-1)
        nxt = torch.where(alive, nxt, PAD)
        alive &= ~torch.isin(nxt, eos)
        ids, mask = torch.cat([ids, nxt[:, None]], 1), torch.cat([mask, torch.ones_like(mask[:, :1])], 1)
        if not alive.any():
            break
    return ids


def loop_beams(model, ids, mask, new, beams, eos=(), penalty=1.0, early=False, returned=1):
    """Beam search written plainly, one prompt at a time, by full recompute, with the reference's rules (see
    roberta/modeling/beam_search.py). Returns the best `returned` sequences per prompt, padded, and their scores."""
    width, prompt, limit = max(2, 1 + len(eos)) * beams, ids.shape[1], ids.shape[1] + new
    results = []
    for row in range(ids.shape[0]):
        running = [(ids[row].tolist(), torch.tensor(0.0))]  # (tokens, summed log-probabilities)
        finished = []  # (length-penalised score, tokens), best first, at most `beams`
        while True:
            seqs = torch.tensor([tokens for tokens, _ in running])
            row_mask = torch.cat([mask[row : row + 1], torch.ones(1, seqs.shape[1] - prompt, dtype=mask.dtype)], 1)
            logp = torch.log_softmax(last_logits(model, seqs, row_mask.expand(len(running), -1)), -1)
            cands = [
                (score + logp[b, t], tokens + [t])
                for b, (tokens, score) in enumerate(running)
                for t in range(logp.shape[1])
            ]
            cands = sorted(cands, key=lambda c: -float(c[0]))[:width]
            ended = [c[1][-1] in eos or len(c[1]) >= limit for c in cands]
            new_len = len(cands[0][1]) - prompt
            if not (len(finished) == beams and early is True):  # only the first `beams` candidates may finish
                finished += [(float(sc / new_len**penalty), seq) for (sc, seq), end in zip(cands[:beams], ended) if end]
                finished = sorted(finished, key=lambda f: -f[0])[:beams]
            running = [(seq, sc) for (sc, seq), end in zip(cands, ended) if not end][:beams]
            if all(ended) or (len(finished) == beams and early is True):
                break
            best_len = limit - prompt if early == "never" and penalty > 0 else new_len
            if len(finished) == beams and not float(running[0][1] / best_len**penalty) > finished[-1][0]:
                break  # no running beam can beat the worst finished hypothesis
        results += finished[:returned]
    length = max(len(seq) for _, seq in results)
    out = torch.full((len(results), length), PAD)
    for i, (_, seq) in enumerate(results):
        out[i, : len(seq)] = torch.tensor(seq)
    return out, torch.tensor([s for s, _ in results])


def eos_tokens(model, ids, mask, n=2):
    """Tokens greedy decoding produces in its first steps (so that using them as eos ends rows early)."""
    out = loop_decode(model, ids, mask, 4)[:, ids.shape[1] :]
    return sorted({int(t) for t in out[:, 1:3].flatten()})[:n]


# ---------------------------------------------------------------------- against the loops
@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("padded", [False, True])
def test_greedy_equals_full_recompute(ours, padded, use_cache):
    ids, mask = prompts(padded)
    out = ours.generate(ids, attention_mask=mask, max_new_tokens=10, use_cache=use_cache)
    assert out.shape == (3, ids.shape[1] + 10)
    assert torch.equal(out, loop_decode(ours, ids, mask, 10))


def test_unpadded_positions_are_the_models_own(ours):
    """Without padding, generate's positions are those a plain forward pass gives itself."""
    ids, _ = prompts(False)
    out = ours.generate(ids, max_new_tokens=8)
    assert not (out == PAD).any()  # (a generated pad token would get the padding position in a plain pass)
    for step in range(8):
        with torch.no_grad():
            logits = ours(out[:, : ids.shape[1] + step]).logits[:, -1]
        assert torch.equal(logits.argmax(-1), out[:, ids.shape[1] + step])


@pytest.mark.parametrize("use_cache", [True, False])
def test_sampling_is_seeded_and_equals_full_recompute(ours, use_cache):
    ids, mask = prompts(True)
    options = dict(do_sample=True, temperature=0.8, top_k=20, top_p=0.9, max_new_tokens=10, num_return_sequences=2)
    torch.manual_seed(3)
    out = ours.generate(ids, attention_mask=mask, use_cache=use_cache, **options)
    warpers = [TemperatureLogitsWarper(0.8), TopKLogitsWarper(20), TopPLogitsWarper(0.9)]
    want = loop_decode(ours, ids.repeat_interleave(2, 0), mask.repeat_interleave(2, 0), 10, warpers=warpers, seed=3)
    assert torch.equal(out, want)
    torch.manual_seed(4)
    assert not torch.equal(ours.generate(ids, attention_mask=mask, use_cache=use_cache, **options), out)


@pytest.mark.parametrize("use_cache", [True, False])
def test_eos_ends_rows_and_pads_them(ours, use_cache):
    ids, mask = prompts(True)
    eos = eos_tokens(ours, ids, mask)
    for stop in (eos[0], eos):  # one id, or a list
        out = ours.generate(ids, attention_mask=mask, max_new_tokens=12, eos_token_id=stop, use_cache=use_cache)
        stops = [stop] if isinstance(stop, int) else stop
        assert torch.equal(out, loop_decode(ours, ids, mask, 12, eos=stops))
        new = out[:, ids.shape[1] :]
        ended = torch.isin(new, torch.tensor(stops))
        assert ended.any(), "no row ended: the test would not test eos"
        for row, flags in zip(new, ended):
            if flags.any():
                first = int(flags.nonzero()[0])
                assert (row[first + 1 :] == PAD).all()  # padding after the end
        if ended.any(-1).all():  # every row ended: decoding stopped at the last one's end
            assert out.shape[1] < ids.shape[1] + 12


def test_min_new_tokens_holds_eos_back(ours):
    ids, mask = prompts(True)
    eos = eos_tokens(ours, ids, mask, n=1)
    out = ours.generate(ids, attention_mask=mask, max_new_tokens=10, eos_token_id=eos[0], min_new_tokens=4)
    assert not (out[:, ids.shape[1] : ids.shape[1] + 4] == eos[0]).any()
    assert torch.equal(out, loop_decode(ours, ids, mask, 10, eos=eos, min_new=4))
    same = ours.generate(ids, attention_mask=mask, max_new_tokens=10, eos_token_id=eos[0], min_length=ids.shape[1] + 4)
    assert torch.equal(same, out)


BEAM_CASES = [
    dict(num_beams=3),
    dict(num_beams=4, length_penalty=0.5, early_stopping=True, num_return_sequences=2),
    dict(num_beams=3, length_penalty=2.0, early_stopping="never", num_return_sequences=3),
]


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("case", range(len(BEAM_CASES)))
def test_beam_search_equals_full_recompute(ours, case, use_cache):
    options = BEAM_CASES[case]
    ids, mask = prompts(True)
    eos = eos_tokens(ours, ids, mask)
    out = ours.generate(
        ids, attention_mask=mask, max_new_tokens=9, eos_token_id=eos, use_cache=use_cache,
        return_dict_in_generate=True, output_scores=True, **options,
    )  # fmt: skip
    want, scores = loop_beams(
        ours, ids, mask, 9, options["num_beams"], eos=eos, penalty=options.get("length_penalty", 1.0),
        early=options.get("early_stopping", False), returned=options.get("num_return_sequences", 1),
    )  # fmt: skip
    assert torch.equal(out.sequences, want)
    assert torch.allclose(out.sequences_scores, scores, atol=1e-5)
    assert (out.sequences[:, ids.shape[1] :] == torch.tensor(eos)[:, None, None]).any(), "no hypothesis ended early"


# ---------------------------------------------------------------------- against the reference
def reference_and_ours(models, position):
    ref, ours, _ = models[position]
    return ref, ours, position == "absolute"  # absolute positions: use the reference's (counted from 0)


@pytest.mark.parametrize("position, padded", [("absolute", False), ("absolute", True), ("relative_key", True)])
def test_matches_reference_generate(models, position, padded):
    """Relative positions ignore position ids, so ours need no option; the reference's own cache gets them
    wrong (a prompt's queries all sit at the last position), so it runs without."""
    ref, ours, from_zero = reference_and_ours(models, position)
    ids, mask = prompts(padded)
    eos = eos_tokens(ours, ids, mask)
    for options in [dict(eos_token_id=eos), *[dict(c, eos_token_id=eos) for c in BEAM_CASES]]:
        kwargs = dict(attention_mask=mask, max_new_tokens=9, **options)
        want = ref.generate(ids, use_cache=from_zero, **kwargs)
        assert torch.equal(ours.generate(ids, position_ids_from_zero=from_zero, **kwargs), want)


@pytest.mark.parametrize("beams", [1, 3])
def test_seeded_sampling_matches_reference(models, beams):
    ref, ours, _ = reference_and_ours(models, "absolute")
    ids, mask = prompts(True)
    kwargs = dict(attention_mask=mask, max_new_tokens=8, do_sample=True, num_beams=beams, top_p=0.9, temperature=1.3)
    torch.manual_seed(5)
    want = ref.generate(ids, **kwargs)
    torch.manual_seed(5)
    assert torch.equal(ours.generate(ids, position_ids_from_zero=True, **kwargs), want)


@pytest.mark.parametrize("beams", [1, 3])
def test_dict_outputs_match_reference(models, beams):
    ref, ours, _ = reference_and_ours(models, "absolute")
    ids, mask = prompts(True)
    kwargs = dict(attention_mask=mask, max_new_tokens=6, num_beams=beams, return_dict_in_generate=True,
                  output_scores=True, output_logits=True)  # fmt: skip
    a, b = ref.generate(ids, **kwargs), ours.generate(ids, position_ids_from_zero=True, **kwargs)
    assert type(b).__name__ == type(a).__name__
    assert torch.equal(a.sequences, b.sequences)
    for x, y in zip(a.scores + a.logits, b.scores + b.logits, strict=True):
        finite = torch.isfinite(x)
        assert torch.equal(finite, torch.isfinite(y)) and torch.allclose(x[finite], y[finite], atol=1e-4)
    assert b.past_key_values.get_seq_length() == a.past_key_values.get_seq_length()
    if beams > 1:
        assert torch.equal(a.beam_indices.long(), b.beam_indices.long())
        assert torch.allclose(a.sequences_scores, b.sequences_scores, atol=1e-5)


def test_cross_attention_decoder_matches_reference(tmp_path):
    """The reference's generate fails with its own cache here, so it runs without; ours, with and without."""
    make_reference("RobertaForCausalLM", tmp_path, add_cross_attention=True, **CONFIDENT)
    ref = transformers.RobertaForCausalLM.from_pretrained(tmp_path).eval()
    ours = roberta.RobertaForCausalLM.from_pretrained(tmp_path)
    ids, mask = prompts(False)
    enc, enc_mask = torch.randn(3, 5, 32), torch.tensor([[1] * 5, [1, 1, 1, 0, 0], [1] * 5])
    for beams in (1, 3):
        kwargs = dict(encoder_hidden_states=enc, encoder_attention_mask=enc_mask, max_new_tokens=6, num_beams=beams)
        want = ref.generate(ids, use_cache=False, **kwargs)
        for use_cache in (True, False):
            assert torch.equal(ours.generate(ids, position_ids_from_zero=True, use_cache=use_cache, **kwargs), want)


# ---------------------------------------------------------------------- generation config
def test_generation_config_defaults_load_and_save(models, tmp_path):
    ref, ours, path = models["absolute"]
    assert ours.can_generate() and ref.can_generate()
    assert ours.generation_config.to_diff_dict() == {"_from_model_config": True, "bos_token_id": 0,
                                                     "eos_token_id": 2, "pad_token_id": 1}  # fmt: skip
    ours.save_pretrained(tmp_path / "ours")
    written = json.loads((tmp_path / "ours" / "generation_config.json").read_text())
    want = json.loads((path / "generation_config.json").read_text())  # what the reference wrote
    assert written == {k: v for k, v in want.items() if k != "transformers_version"}

    # a checkpoint's own generation_config.json drives generate() without arguments
    ref.generation_config.update(num_beams=3, max_new_tokens=7, length_penalty=0.5)
    ref.save_pretrained(tmp_path / "beams")
    ref.generation_config = transformers.GenerationConfig.from_pretrained(path)
    loaded = roberta.RobertaForCausalLM.from_pretrained(tmp_path / "beams")
    assert (loaded.generation_config.num_beams, loaded.generation_config.max_new_tokens) == (3, 7)
    ids, _ = prompts(False)
    want = ref.generate(ids, num_beams=3, max_new_tokens=7, length_penalty=0.5)
    assert torch.equal(loaded.generate(ids, position_ids_from_zero=True), want)
    assert loaded.generate(ids, num_beams=1, length_penalty=1.0).shape == (3, ids.shape[1] + 7)  # arguments win
    loaded.save_pretrained(tmp_path / "again")
    again = transformers.GenerationConfig.from_pretrained(tmp_path / "again")
    assert (again.num_beams, again.max_new_tokens, again.length_penalty) == (3, 7, 0.5)

    # generation_config= to generate (its defaults taken from the model's) and to from_pretrained
    config = roberta.GenerationConfig(max_new_tokens=4)
    assert torch.equal(ours.generate(ids, generation_config=config), ours.generate(ids, max_new_tokens=4))
    given = roberta.RobertaForCausalLM.from_pretrained(path, generation_config=config)
    assert given.generation_config.max_new_tokens == 4


def test_save_refuses_a_generation_config_the_reference_refuses(ours, tmp_path):
    ours.generation_config.temperature = 0.5  # set, but greedy decoding ignores it
    try:
        with pytest.raises(ValueError, match="temperature"):
            ours.save_pretrained(tmp_path)
        assert not any(tmp_path.iterdir())  # refused before anything was written
    finally:
        ours.generation_config.temperature = 1.0


# ---------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(num_beams=2, num_return_sequences=3), "has to be smaller or equal to `num_beams`"),
        (dict(num_return_sequences=2), "Greedy methods without beam search"),
        (dict(max_length=5), "Input length of input_ids is 8, but `max_length` is set to 5"),
        (dict(max_new_tokens=0), "max_new_tokens"),
        (dict(max_new_tokens=600), "positions"),
        (dict(do_sample=True, temperature=0.0), "temperature"),
        (dict(do_sample=True, top_p=1.5), "top_p"),
        (dict(num_beams=0), "num_beams"),
        (dict(early_stopping="sometimes"), "early_stopping"),
        (dict(eos_token_id="2"), "eos_token_id"),
        (dict(repetition_penalty=1.3), "repetition_penalty=1.3"),
        (dict(max_new_token=5), r"not used by the model: \['max_new_token'\]"),
        (dict(attention_mask=torch.ones(3, 7, dtype=torch.long)), "attention_mask"),
        (dict(logits_processor=[lambda i, s: s]), "logits_processor"),
    ],
)
def test_bad_arguments_are_named(ours, kwargs, match):
    ids, _ = prompts(True)
    with pytest.raises(ValueError, match=match):
        ours.generate(ids, **kwargs)


def test_bad_input_ids(ours):
    with pytest.raises(ValueError, match="integer tensor"):
        ours.generate(torch.rand(2, 3))
    with pytest.raises(ValueError, match="bos_token_id"):
        ours.generate(bos_token_id=None, max_new_tokens=2)
    assert ours.generate(max_new_tokens=3)[0, 0] == 0  # no prompt: start from <s>, as the reference
