"""text-generation (greedy / sampling over the KV cache) and sentence-embedding (mean pooling + L2)."""

from __future__ import annotations

import pytest
import torch

import roberta
from roberta.pipelines import pipeline

PROMPTS = ["Hello there", "The weather today is", "Hi"]


@pytest.fixture(scope="module")
def gen(checkpoints):
    return pipeline("text-generation", model=str(checkpoints["text-generation"]), batch_size=2)


def full_pass_greedy(model, ids, steps, eos):
    x = torch.tensor([ids])
    with torch.no_grad():
        for _ in range(steps):
            nxt = model(x).logits[0, -1].argmax().item()
            x = torch.cat([x, torch.tensor([[nxt]])], 1)
            if nxt == eos:
                break
    return x[0].tolist()


def test_greedy_matches_full_pass_argmax(gen, checkpoints):
    model = roberta.RobertaForCausalLM.from_pretrained(str(checkpoints["text-generation"])).eval()
    for prompt in PROMPTS:
        ids = gen.tokenizer(prompt)["input_ids"]
        out = gen(prompt, do_sample=False, max_new_tokens=12, return_tensors=True)
        assert out[0]["generated_token_ids"] == full_pass_greedy(model, ids, 12, model.config.eos_token_id)


def test_greedy_matches_reference_generate(gen, checkpoints, ref_pipeline):
    """With the reference's 0-based generate() positions, outputs agree token for token and text for text."""
    ref = ref_pipeline("text-generation", checkpoints["text-generation"])
    for kwargs in [{"return_tensors": True}, {}, {"return_full_text": False}]:
        ours = gen(PROMPTS, do_sample=False, max_new_tokens=10, position_ids_from_zero=True, **kwargs)
        assert ours == ref(PROMPTS, do_sample=False, max_new_tokens=10, **kwargs)


def test_batched_generation_equals_unbatched(gen):
    batched = gen(PROMPTS * 2, do_sample=False, max_new_tokens=8)
    assert batched == [gen(p, do_sample=False, max_new_tokens=8) for p in PROMPTS * 2]


def test_return_full_text(gen):
    full = gen("Hello there", do_sample=False, max_new_tokens=6)[0]["generated_text"]
    new = gen("Hello there", do_sample=False, max_new_tokens=6, return_full_text=False)[0]["generated_text"]
    assert full == "Hello there" + new and new


def test_sampling(gen):
    torch.manual_seed(0)
    a = gen(PROMPTS, max_new_tokens=10, temperature=1.5, top_p=0.9, return_tensors=True)
    torch.manual_seed(0)
    b = gen(PROMPTS, max_new_tokens=10, temperature=1.5, top_p=0.9, return_tensors=True)
    assert a == b
    g = torch.Generator().manual_seed(1)
    c = gen(PROMPTS, max_new_tokens=10, temperature=1.5, top_k=0, generator=g, return_tensors=True)
    assert c != a  # different randomness gives a different draw
    greedy = gen(PROMPTS, do_sample=False, max_new_tokens=10, return_tensors=True)
    assert gen(PROMPTS, top_k=1, max_new_tokens=10, return_tensors=True) == greedy
    assert gen(PROMPTS, top_p=1e-6, max_new_tokens=10, return_tensors=True) == greedy
    several = gen("Hi", num_return_sequences=3, max_new_tokens=5, temperature=2.0, top_k=0)
    assert len(several) == 3


def test_filter_logits():
    from roberta.pipelines.text_generation import filter_logits

    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[True, False, False, True]]
    kept = ~torch.isinf(filter_logits(logits, top_p=0.5))
    assert kept.tolist() == [[False, True, False, False]]
    assert torch.allclose(filter_logits(logits, temperature=2.0), logits / 2)


def test_generation_errors(gen):
    with pytest.raises(ValueError, match="temperature"):
        gen("Hi", temperature=0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        gen("Hi", max_new_tokens=0)
    with pytest.raises(ValueError, match="positions"):
        gen("Hi", max_new_tokens=600)
    with pytest.raises(ValueError, match="mutually exclusive"):
        gen("Hi", return_full_text=True, return_tensors=True)


def test_sentence_embedding_math(checkpoints):
    pipe = pipeline("sentence-embedding", model=str(checkpoints["feature-extraction"]), batch_size=3)
    model = pipe.model
    texts = ["one", "two words here and more", "three"]
    enc = pipe.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    got = torch.tensor(pipe(texts))
    assert torch.allclose(got, expected, atol=1e-5)
    assert torch.allclose(got.norm(dim=-1), torch.ones(3), atol=1e-5)
    raw = pipe("one", normalize=False, return_tensors=True)
    assert isinstance(raw, torch.Tensor) and raw.shape == (32,)
    assert torch.allclose(raw, (hidden[0] * mask[0]).sum(0) / mask[0].sum(), atol=1e-5)
    assert pipe(texts[1]) == pytest.approx(got[1].tolist(), abs=1e-6)
