"""fill-mask: predict the token(s) hidden behind `<mask>`, as the reference's `FillMaskPipeline`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch

from .base import Pipeline, check_text, is_stream, positive_int, tokenizer_options
from .windows import check_fits

logger = logging.getLogger(__name__)


class FillMaskPipeline(Pipeline):
    """Masked-language-model predictions for each `<mask>` of the input.

    Call options: `top_k` (default 5), `targets` (a token or list of tokens to restrict the predictions to; a
    target missing from the vocabulary is replaced by the first token it tokenizes to, with a warning, as in
    the reference), `tokenizer_kwargs` (passed to the tokenizer, e.g. `{"truncation": True}`), `truncation`
    (the same as `tokenizer_kwargs={"truncation": ...}`). A text longer than the model reads is an error
    naming its token count and the limit unless truncation is asked for (the reference's model fails on it
    with an index error); a mask cut off by the truncation is an error too.

    Returns, for one text with one mask, a list of `{"score", "token", "token_str", "sequence"}` dicts, best
    first; with several masks, one such list per mask (and then `sequence` keeps the special tokens, as the
    reference does); for a list of texts, one of those per text.
    """

    task = "fill-mask"
    per_token_outputs = ("logits",)

    def _sanitize(
        self,
        top_k: int | None = None,
        targets: None | str | Sequence[str] = None,
        tokenizer_kwargs: dict[str, Any] | None = None,
        truncation: bool | None = None,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"fill-mask got unexpected option(s) {sorted(unknown)}")
        if self.tokenizer.mask_token_id is None:
            raise ValueError("the tokenizer defines no mask token, so it cannot be used for fill-mask")
        post: dict[str, Any] = {"top_k": 5 if top_k is None else positive_int("top_k", top_k)}
        if targets is not None:
            post["target_ids"] = self.target_ids(targets)
        options = tokenizer_options(truncation, tokenizer_kwargs, max_length=self.max_length, name="tokenizer_kwargs")
        return {"tokenizer_kwargs": options}, post

    def target_ids(self, targets: str | Sequence[str]) -> list[int]:
        """The vocabulary ids of `targets` (deduplicated); unknown targets use their first sub-token."""
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, (list, tuple)) or not all(isinstance(t, str) for t in targets):
            raise TypeError(f"targets must be a str or a list of str, got {targets!r:.80}")
        vocab = self.tokenizer.get_vocab()
        ids: list[int] = []
        for target in targets:
            token_id = vocab.get(target)
            if token_id is None:
                pieces = self.tokenizer(
                    target, add_special_tokens=False, return_attention_mask=False, max_length=1, truncation=True
                )["input_ids"]
                if not pieces:
                    logger.warning(
                        "The specified target token `%s` does not exist in the model vocabulary. "
                        "We cannot replace it with anything meaningful, ignoring it",
                        target,
                    )
                    continue
                token_id = pieces[0]
                logger.warning(
                    "The specified target token `%s` does not exist in the model vocabulary. Replacing with `%s`.",
                    target,
                    self.tokenizer.convert_ids_to_tokens(token_id),
                )
            ids.append(int(token_id))
        ids = sorted(set(ids))
        if not ids:
            raise ValueError("At least one target must be provided when passed.")
        return ids

    def preprocess(self, item: Any, tokenizer_kwargs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        text = check_text(item, "fill-mask input")
        options = tokenizer_kwargs or {}
        ids = self.tokenizer(text, **options)["input_ids"]
        check_fits(len(ids), self.max_length, windows=False)
        if self.tokenizer.mask_token_id not in ids:
            if self.tokenizer.mask_token in text and options.get("truncation"):
                raise ValueError(
                    f"the {self.tokenizer.mask_token} lies beyond the first {options['max_length']} tokens, which are "
                    f"all this model reads; shorten the text before it: {text!r:.80}"
                )
            raise ValueError(f"No mask_token ({self.tokenizer.mask_token}) found on the input: {text!r:.80}")
        return [{"input_ids": list(ids)}]

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
    def postprocess(
        self,
        item: Any,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        top_k: int = 5,
        target_ids: list[int] | None = None,
    ) -> Any:
        input_ids = features[0]["input_ids"]
        logits = outputs[0]["logits"]
        tok = self.tokenizer
        positions = [i for i, t in enumerate(input_ids) if t == tok.mask_token_id]
        probs = logits[positions].softmax(dim=-1)
        if target_ids is not None:
            probs = probs[:, target_ids]
            top_k = min(top_k, len(target_ids))
        values, indices = probs.topk(min(top_k, probs.shape[-1]))
        single_mask = len(positions) == 1
        result = []
        for pos, row_values, row_indices in zip(positions, values.tolist(), indices.tolist()):
            row = []
            for score, index in zip(row_values, row_indices):
                token = target_ids[index] if target_ids is not None else index
                filled = list(input_ids)
                filled[pos] = token
                filled = [t for t in filled if t != tok.pad_token_id]
                row.append(
                    {
                        "score": score,
                        "token": token,
                        "token_str": tok.decode([token]),
                        "sequence": tok.decode(filled, skip_special_tokens=single_mask),
                    }
                )
            result.append(row)
        return result[0] if single_mask else result

    def __call__(self, inputs: str | list[str], **kwargs: Any) -> Any:
        """Fill the mask(s) of one text or a list of texts (a list of one text returns that text's result; a
        generator or torch Dataset gives an iterator)."""
        if is_stream(inputs):
            return self.stream(inputs, **kwargs)
        result = super().__call__(inputs, **kwargs)
        if isinstance(inputs, list) and len(inputs) == 1:
            return result[0]
        return result

    def parse_line(self, text: str) -> Any:
        text = super().parse_line(text)
        if self.tokenizer.mask_token not in text:
            raise ValueError(f"no {self.tokenizer.mask_token} token in the input")
        return text

    def render(self, result: Any) -> str:
        groups = result if result and isinstance(result[0], list) else [result]
        lines = []
        for n, group in enumerate(groups, 1):
            if len(groups) > 1:
                lines.append(f"mask {n}:")
            lines += [f"{p['score']:.4f}\t{p['token_str']!r}\t{p['sequence']}" for p in group]
        return "\n".join(lines)
