"""text-generation with a `RobertaForCausalLM` decoder: greedy or sampled decoding by `model.generate()`."""

from __future__ import annotations

from typing import Any

import torch

from ..model_facts import check_generation_length
from ..modeling.generation import filter_logits
from .base import Pipeline, check_text, is_stream, positive_int

__all__ = ["TextGenerationPipeline", "filter_logits"]  # filter_logits: where it was before generate() existed


class TextGenerationPipeline(Pipeline):
    """Continue a prompt with a left-to-right RoBERTa decoder (`RobertaForCausalLM`, `is_decoder=True`).

    The prompt is tokenized as the reference does (with <s> ... </s>) and continued by `model.generate()`: the
    model runs once over it and then one token at a time reusing its key/value cache, until `max_new_tokens`
    tokens or the end-of-sequence token. Prompts of equal token length are generated together (up to
    `batch_size`), so no padding is involved. Options the call does not set come from the model's
    `generation_config` (its checkpoint's `generation_config.json`), as in the reference.

    Call options (defaults are the reference pipeline's): `max_new_tokens` (256), `do_sample` (True),
    `temperature` (0.7), `top_k` (50; 0 disables), `top_p` (1.0), `num_return_sequences` (1),
    `return_full_text` (True: the prompt followed by the new text; False: only the new text),
    `return_tensors` (True: `generated_token_ids` instead of text), `skip_special_tokens` (True),
    `clean_up_tokenization_spaces` (True), `generator` (a `torch.Generator` for reproducible sampling),
    `position_ids_from_zero` (False).

    Positions: by default every step uses the model's own RoBERTa positions (counted from
    `pad_token_id + 1`, as a full forward pass and as training with `labels` see them). The
    reference's `generate()` instead feeds positions counted from 0 for RoBERTa; pass
    `position_ids_from_zero=True` to reproduce its outputs token for token.

    Returns, per prompt, a list of `num_return_sequences` dicts `{"generated_text": ...}`.
    """

    task = "text-generation"

    def _sanitize(
        self,
        max_new_tokens: int = 256,
        do_sample: bool = True,
        temperature: float = 0.7,
        top_k: int | None = 50,
        top_p: float = 1.0,
        num_return_sequences: int = 1,
        return_full_text: bool | None = None,
        return_tensors: bool | None = None,
        return_text: bool | None = None,
        skip_special_tokens: bool = True,
        clean_up_tokenization_spaces: bool = True,
        generator: torch.Generator | None = None,
        eos_token_id: int | None = None,
        position_ids_from_zero: bool = False,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"text-generation got unexpected option(s) {sorted(unknown)}")
        positive_int("max_new_tokens", max_new_tokens)
        positive_int("num_return_sequences", num_return_sequences)
        if not isinstance(temperature, (int, float)) or temperature <= 0:
            raise ValueError(f"temperature must be a float > 0, got {temperature!r}")
        if top_k is not None and (not isinstance(top_k, int) or top_k < 0):
            raise ValueError(f"top_k must be an int >= 0, got {top_k!r}")
        if not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
            raise ValueError(f"top_p must be a float in (0, 1], got {top_p!r}")
        if return_full_text is not None and (return_tensors is not None or return_text is not None):
            raise ValueError("`return_full_text` is mutually exclusive with `return_tensors` and `return_text`")
        gen = dict(
            max_new_tokens=max_new_tokens,
            do_sample=bool(do_sample),
            temperature=float(temperature),
            top_k=top_k or 0,
            top_p=float(top_p),
            num_return_sequences=num_return_sequences,
            generator=generator,
            position_ids_from_zero=bool(position_ids_from_zero),
            eos_token_id=self.model.config.eos_token_id if eos_token_id is None else eos_token_id,
        )
        post = dict(
            return_full_text=True if return_full_text is None else bool(return_full_text),
            return_tensors=bool(return_tensors),
            skip_special_tokens=bool(skip_special_tokens),
            clean_up_tokenization_spaces=bool(clean_up_tokenization_spaces),
        )
        return gen, post

    def __call__(self, inputs: str | list[str], **kwargs: Any) -> Any:
        """Generate from one prompt or a list of prompts (a generator or torch Dataset gives an iterator)."""
        if is_stream(inputs):
            return self.stream(inputs, **kwargs)
        single, items = self._split_inputs(inputs)
        kwargs = dict(kwargs)
        batch_size = self.call_batch_size(kwargs)
        gen, post = self._sanitize(**{**self._defaults, **kwargs})
        prompts = [list(self.tokenizer(check_text(p, "prompt"))["input_ids"]) for p in items]
        n = gen.pop("num_return_sequences")
        rows = [ids for ids in prompts for _ in range(n)]
        sequences = self.generate_ids(rows, batch_size=batch_size, **gen)
        results = []
        for i, (prompt_text, prompt_ids) in enumerate(zip(items, prompts)):
            results.append(
                [self._record(prompt_text, prompt_ids, seq, **post) for seq in sequences[i * n : (i + 1) * n]]
            )
        return results[0] if single else results

    def run_batch(self, items: Any, **kwargs: Any) -> list[Any]:
        """Generate for a list of prompts; one list of records per prompt."""
        return self(list(items), **kwargs)

    def _record(
        self,
        prompt_text: str,
        prompt_ids: list[int],
        sequence: list[int],
        return_full_text: bool,
        return_tensors: bool,
        skip_special_tokens: bool,
        clean_up_tokenization_spaces: bool,
    ) -> dict[str, Any]:
        if return_tensors:
            return {"generated_token_ids": sequence}
        options = dict(
            skip_special_tokens=skip_special_tokens, clean_up_tokenization_spaces=clean_up_tokenization_spaces
        )
        text = self.tokenizer.decode(sequence, **options)
        new_text = text[len(self.tokenizer.decode(prompt_ids, **options)) :]
        return {"generated_text": prompt_text + new_text if return_full_text else new_text}

    def generate_ids(
        self,
        prompts: list[list[int]],
        max_new_tokens: int = 20,
        do_sample: bool = False,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
        eos_token_id: int | None = None,
        position_ids_from_zero: bool = False,
        batch_size: int | None = None,
    ) -> list[list[int]]:
        """Token ids of each prompt followed by its continuation (ending at the first eos, if any)."""
        config = self.model.config
        for ids in prompts:
            check_generation_length(config, len(ids), len(ids) + max_new_tokens, from_zero=position_ids_from_zero)
        results: list[list[int] | None] = [None] * len(prompts)
        by_length: dict[int, list[int]] = {}
        for i, ids in enumerate(prompts):
            by_length.setdefault(len(ids), []).append(i)
        size = batch_size or self.batch_size
        for length in sorted(by_length, reverse=True):
            group = by_length[length]
            for start in range(0, len(group), size):
                batch = group[start : start + size]
                out = self._generate_batch(
                    [prompts[i] for i in batch],
                    max_new_tokens,
                    do_sample,
                    temperature,
                    top_k,
                    top_p,
                    generator,
                    eos_token_id,
                    position_ids_from_zero,
                )
                for i, seq in zip(batch, out):
                    results[i] = seq
        return results  # type: ignore[return-value]

    def _generate_batch(
        self,
        prompts: list[list[int]],
        max_new_tokens: int,
        do_sample: bool,
        temperature: float,
        top_k: int,
        top_p: float,
        generator: torch.Generator | None,
        eos_token_id: int | None,
        from_zero: bool = False,
    ) -> list[list[int]]:
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 1
        generate = getattr(getattr(self.model, "runner", None), "generate", None)
        if generate is not None:  # a model of another framework (backends.py) that decodes with its own loop
            if from_zero:
                raise ValueError(f"position_ids_from_zero is not supported by {self.model.model_class}")
            seed = None if generator is None else int(torch.randint(2**31 - 1, (1,), generator=generator))
            options = dict(do_sample=do_sample, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
            return generate(prompts, max_new_tokens, eos_token_id=eos_token_id, pad_token_id=pad_id, **options)
        ids = torch.tensor(prompts, dtype=torch.long, device=self.device)
        sampling = dict(temperature=temperature, top_k=top_k, top_p=top_p) if do_sample else {}
        out = self.model.generate(
            ids,
            attention_mask=torch.ones_like(ids),  # prompts of one length: no padding
            max_new_tokens=max_new_tokens,
            do_sample=do_sample,
            eos_token_id=eos_token_id,
            pad_token_id=pad_id,
            generator=generator,
            position_ids_from_zero=from_zero,
            **sampling,
        )
        generated = out[:, ids.shape[1] :].tolist()
        sequences = []
        for prompt, tokens in zip(prompts, generated):
            if eos_token_id is not None and eos_token_id in tokens:
                tokens = tokens[: tokens.index(eos_token_id) + 1]
            sequences.append(list(prompt) + tokens)
        return sequences

    def render(self, result: Any) -> str:
        return "\n".join(str(r.get("generated_text", r.get("generated_token_ids"))) for r in result)
