"""`generate()` for `RobertaForCausalLM`: greedy, sampled and beam-search decoding over the key/value cache.

The options, their defaults and the decoding rules are the reference's (transformers 4.56.2 `GenerationMixin`):
the same logits processing (minimum length, then temperature, top-k, top-p when sampling), the same random
draws (`torch.multinomial` on the global generator, so `torch.manual_seed` reproduces a run), the same beam
search (2 * num_beams candidates a step, `length_penalty`, `early_stopping` True / False / "never") and the same
outputs. One thing differs on purpose: positions are RoBERTa's, counted from `config.pad_token_id + 1` over the
tokens the attention mask keeps (left padding gets the padding position), as a full forward pass, training and
our TF / Flax `generate` count them; each cached step takes its positions from the whole mask, not from its own
ids. The reference's `generate` counts from 0 instead: `position_ids_from_zero=True` reproduces it.
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any

import torch

from .. import model_facts
from ..generation_config import GenerationConfig
from ..hub import CheckpointNotFoundError
from ..model_facts.outputs import GENERATE_DOCS, GENERATE_OUTPUTS, make_outputs
from ..model_output import ModelOutput
from .array_ops import TorchOps
from .beam_search import beam_search, draw

logger = logging.getLogger(__name__)

# Model inputs generate() passes on to the forward pass (the rest of its keywords are decoding options).
MODEL_KWARGS = ("attention_mask", "token_type_ids", "encoder_hidden_states", "encoder_attention_mask")


# Made from the shared field table and bound here, where pickle finds them by qualified name.
GenerateDecoderOnlyOutput, GenerateBeamDecoderOnlyOutput = make_outputs(
    __name__, ModelOutput, GENERATE_OUTPUTS, docs=GENERATE_DOCS
).values()


def filter_logits(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, min_tokens_to_keep: int = 1
) -> torch.Tensor:
    """Temperature, then top-k (0: off), then nucleus (top-p) filtering of (batch, vocab) scores, in the
    reference's order (`model_facts.sampling`); filtered entries become -inf, and at least `min_tokens_to_keep`
    survive each filter."""
    return model_facts.filter_logits(TorchOps, logits, temperature, top_k, top_p, min_tokens_to_keep)


def position_ids_for(mask: torch.Tensor, padding_idx: int, from_zero: bool = False) -> torch.Tensor:
    """(batch, seq) positions of every token of `mask` (1: a token, 0: padding). RoBERTa's: kept tokens count
    from padding_idx + 1, padding gets padding_idx; `from_zero`: the reference generate's (count from 0,
    padding gets 1)."""
    return model_facts.positions_from_mask(TorchOps, mask.long(), padding_idx, from_zero=from_zero)


class _Steps:
    """Runs the model on the tokens its cache has not seen yet and returns the last position's logits; grows
    the attention mask (and token types) by the new tokens, whose positions come from the whole mask."""

    def __init__(self, model, mask, token_type_ids, extras: dict, use_cache: bool, from_zero: bool) -> None:
        self.model, self.mask, self.token_type_ids, self.extras = model, mask, token_type_ids, extras
        self.use_cache, self.from_zero, self.cache = use_cache, from_zero, None
        pad = model.config.pad_token_id
        self.padding_idx = 0 if pad is None else pad

    def logits(self, sequences: torch.Tensor) -> torch.Tensor:
        grow = sequences.shape[1] - self.mask.shape[1]
        if grow:  # the tokens chosen since the last call: real tokens, same token type as the last one
            self.mask = torch.cat([self.mask, self.mask.new_ones(self.mask.shape[0], grow)], dim=1)
            if self.token_type_ids is not None:
                last = self.token_type_ids[:, -1:].expand(-1, grow)
                self.token_type_ids = torch.cat([self.token_type_ids, last], dim=1)
        seen = self.cache.get_seq_length() if self.cache is not None else 0
        out = self.model(
            input_ids=sequences[:, seen:],
            attention_mask=self.mask,
            position_ids=position_ids_for(self.mask, self.padding_idx, self.from_zero)[:, seen:],
            token_type_ids=None if self.token_type_ids is None else self.token_type_ids[:, seen:],
            past_key_values=self.cache,
            use_cache=self.use_cache,
            return_dict=True,
            **self.extras,
        )
        if self.use_cache:
            self.cache = out.past_key_values
        return out.logits[:, -1, :].float()  # (rows, vocab)

    def reorder(self, rows: torch.Tensor) -> None:
        if self.cache is not None:
            self.cache.reorder_cache(rows)


class GenerationMixin:
    """Adds `generate`, `generation_config` and `can_generate` to a causal LM (`RobertaForCausalLM`); loads the
    checkpoint's `generation_config.json` in `from_pretrained` and writes it in `save_pretrained`, as the
    reference does for models that can generate."""

    def __init__(self, config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.generation_config = GenerationConfig.from_model_config(config)

    @classmethod
    def can_generate(cls) -> bool:
        return True

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args: Any, **kwargs: Any):
        """The base class's `from_pretrained`, then the generation config: `generation_config=` if given, else
        the checkpoint's `generation_config.json`, else the one made from the model config."""
        given = kwargs.pop("generation_config", None)
        hub = {k: kwargs[k] for k in ("cache_dir", "revision") if k in kwargs}
        loaded = super().from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)
        model = loaded[0] if kwargs.get("output_loading_info") else loaded
        if given is not None:
            model.generation_config = GenerationConfig.from_dict(given.to_dict())
        else:
            try:
                model.generation_config = GenerationConfig.from_pretrained(pretrained_model_name_or_path, **hub)
            except CheckpointNotFoundError:
                pass  # no generation_config.json: keep the one made from the model config
        return loaded

    def save_pretrained(self, save_directory: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """The base class's save, then `generation_config.json` (after the weights' commit). A generation config
        the reference would refuse to save is refused before anything is written."""
        issues = self.generation_config.issues()
        if issues:
            self.generation_config.save_pretrained(save_directory)  # raises, naming the issues
        super().save_pretrained(save_directory, *args, **kwargs)
        if kwargs.get("is_main_process", True):
            self.generation_config.save_pretrained(save_directory)

    # ------------------------------------------------------------------ generate
    @torch.no_grad()
    def generate(
        self,
        inputs: torch.Tensor | None = None,
        generation_config: GenerationConfig | None = None,
        logits_processor: Any = None,
        stopping_criteria: Any = None,
        *,
        generator: torch.Generator | None = None,
        position_ids_from_zero: bool = False,
        **kwargs: Any,
    ):
        """Continue each row of `inputs` (batch, seq) token ids; returns (batch * num_return_sequences, length)
        ids, prompt included, or a `GenerateDecoderOnlyOutput` / `GenerateBeamDecoderOnlyOutput` with
        `return_dict_in_generate=True`.

        Keywords: any `GenerationConfig` option (`max_new_tokens`, `max_length`, `min_new_tokens`, `min_length`,
        `do_sample`, `temperature`, `top_k`, `top_p`, `num_beams`, `length_penalty`, `early_stopping`,
        `num_return_sequences`, `eos_token_id` (an id or a list), `pad_token_id`, `use_cache`,
        `return_dict_in_generate`, `output_scores`, `output_logits`), over `generation_config` (default: the
        model's); model inputs `attention_mask` (left padding for batches of unequal prompts),
        `token_type_ids`, `encoder_hidden_states`, `encoder_attention_mask`. Beyond the reference:
        `generator` (a `torch.Generator` for the draws) and `position_ids_from_zero` (the reference's positions).
        Rows that end (an eos token) are filled with `pad_token_id`; decoding stops when all rows have ended.
        """
        for name, value in (("logits_processor", logits_processor), ("stopping_criteria", stopping_criteria)):
            if value:
                raise ValueError(f"{name} is not supported by roberta's generate(); use the generation options")
        gc = self._generation_config_for(generation_config)
        model_kwargs = gc.update(**kwargs)
        ids = model_kwargs.pop("input_ids", None) if inputs is None else inputs
        unused = sorted(set(model_kwargs) - set(MODEL_KWARGS))
        if unused:
            raise ValueError(
                f"The following `model_kwargs` are not used by the model: {unused} (note: typos in the generate "
                f"arguments will also show up in this list; model inputs are {list(MODEL_KWARGS)})"
            )
        gc.check()
        extras = {k: model_kwargs[k] for k in ("encoder_hidden_states", "encoder_attention_mask") if k in model_kwargs}
        ids = self._input_ids(ids, gc, extras.get("encoder_hidden_states"))
        eos = gc.eos_token_id
        eos = None if eos is None else torch.tensor([eos] if isinstance(eos, int) else list(eos), device=ids.device)
        pad = gc.pad_token_id
        if pad is None and eos is not None:
            pad = int(eos[0])
            logger.warning("Setting `pad_token_id` to `eos_token_id`:%s for open-end generation.", pad)
        mask = model_kwargs.get("attention_mask")
        mask = self._attention_mask(ids, mask, pad, eos)
        token_types = model_kwargs.get("token_type_ids")
        if token_types is not None and tuple(token_types.shape) != tuple(ids.shape):
            raise ValueError(f"token_type_ids must have the shape of input_ids {tuple(ids.shape)}")
        if ids.shape[0] > 1 and pad is not None and bool((ids[:, -1] == pad).any()):
            logger.warning("right-padding was detected: a decoder generates after the last column, so pad on the left")
        prompt_len = ids.shape[1]
        max_length, min_length = self._lengths(gc, prompt_len, kwargs.get("max_length"), position_ids_from_zero)

        expand = max(gc.num_beams, gc.num_return_sequences)
        ids, mask = ids.repeat_interleave(expand, 0), mask.repeat_interleave(expand, 0)
        token_types = None if token_types is None else token_types.repeat_interleave(expand, 0)
        extras = {k: v.repeat_interleave(expand, 0) for k, v in extras.items() if v is not None}
        steps = _Steps(self, mask, token_types, extras, bool(gc.use_cache), bool(position_ids_from_zero))
        collected: dict[str, list] = {"scores": [], "logits": []}
        run = dict(steps=steps, gc=gc, prompt_len=prompt_len, max_length=max_length, eos=eos, pad=pad)
        process = self._processor(gc, min_length, eos, collected)
        if gc.num_beams == 1:
            sequences = _sample(ids, process=process, generator=generator, **run)
            extra = {}
        else:
            sequences, extra = beam_search(ids, process=process, generator=generator, **run)
        if not gc.return_dict_in_generate:
            return sequences
        fields = dict(
            sequences=sequences,
            scores=tuple(collected["scores"]) if gc.output_scores else None,
            logits=tuple(collected["logits"]) if gc.output_logits else None,
            past_key_values=steps.cache,
        )
        if gc.num_beams == 1:
            return GenerateDecoderOnlyOutput(**fields)
        scores = extra["sequences_scores"] if gc.output_scores else None
        return GenerateBeamDecoderOnlyOutput(sequences_scores=scores, beam_indices=extra["beam_indices"], **fields)

    def _generation_config_for(self, given: GenerationConfig | None) -> GenerationConfig:
        """A copy of `given` (its options at their global default taking the model's), or of the model's."""
        if given is None:
            return copy.deepcopy(self.generation_config)
        if not isinstance(given, GenerationConfig):
            raise TypeError(f"generation_config must be a GenerationConfig, got {type(given).__name__}")
        config, default = copy.deepcopy(given), GenerationConfig()
        for key, value in self.generation_config.to_dict().items():
            if key.startswith("_") or not hasattr(default, key):
                continue
            if getattr(config, key, None) == getattr(default, key) and value != getattr(default, key):
                setattr(config, key, value)
        return config

    def _input_ids(self, ids, gc: GenerationConfig, encoder_states) -> torch.Tensor:
        if ids is None:  # start from <s>, as the reference
            if gc.bos_token_id is None:
                raise ValueError("`bos_token_id` has to be defined when no `input_ids` are provided.")
            rows = 1 if encoder_states is None else encoder_states.shape[0]
            return torch.full((rows, 1), gc.bos_token_id, dtype=torch.long, device=self.device)
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype not in (torch.long, torch.int32):
            got = f"{ids.dtype} {tuple(ids.shape)}" if isinstance(ids, torch.Tensor) else type(ids).__name__
            raise ValueError(f"input_ids must be an integer tensor shaped (batch, seq), got {got}")
        if ids.shape[0] == 0 or ids.shape[1] == 0:
            raise ValueError(f"input_ids is empty (shape {tuple(ids.shape)}): give at least one token per row")
        return ids.long()

    @staticmethod
    def _attention_mask(ids, mask, pad, eos) -> torch.Tensor:
        """The given mask, checked, or the reference's guess: padding where ids are `pad_token_id` (unless pad is
        also an eos token), else all ones."""
        if mask is None:
            guess = pad is not None and bool((ids == pad).any()) and (eos is None or not bool((eos == pad).any()))
            return ids.ne(pad).long() if guess else torch.ones_like(ids)
        if not isinstance(mask, torch.Tensor) or tuple(mask.shape) != tuple(ids.shape):
            shape = tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise ValueError(f"`attention_mask` passed to `generate` must be 2D, shaped like input_ids "
                             f"{tuple(ids.shape)}, got {shape}")  # fmt: skip
        if bool((mask.sum(-1) == 0).any()):
            raise ValueError("attention_mask has a row with no token to attend to")
        return mask.to(ids.device).long()

    def _lengths(self, gc: GenerationConfig, prompt_len: int, max_length_arg, from_zero: bool) -> tuple[int, int]:
        """(max_length, min_length) in tokens, prompt included, as the reference settles them."""
        usable = model_facts.config_positions(self.config, from_zero=from_zero)
        if gc.max_new_tokens is not None:
            max_length = prompt_len + gc.max_new_tokens
        elif max_length_arg is None and gc.max_length == 20:  # the default: 20 new tokens, within the positions
            max_length = min(prompt_len + 20, usable)
        else:
            max_length = gc.max_length
        if prompt_len >= max_length:
            raise ValueError(
                f"Input length of input_ids is {prompt_len}, but `max_length` is set to {max_length}. This can "
                f"lead to unexpected behavior. You should consider increasing `max_length` or, better yet, setting "
                f"`max_new_tokens`."
            )
        model_facts.check_generation_length(self.config, prompt_len, max_length, from_zero=from_zero)
        min_length = prompt_len + gc.min_new_tokens if gc.min_new_tokens is not None else gc.min_length
        if min_length > max_length:
            logger.warning("Unfeasible length constraints: the minimum length %d exceeds max_length %d",
                           min_length, max_length)  # fmt: skip
        return max_length, min_length

    def _processor(self, gc: GenerationConfig, min_length: int, eos, collected: dict):
        """The reference's logits processing for these options: (sequences, scores) -> scores; records the raw
        and processed scores of each step in `collected` when they are asked for."""
        beams = gc.num_beams > 1
        keep = (eos.numel() + 1 if eos is not None else 2) if beams else 1
        keep_raw = gc.return_dict_in_generate and gc.output_logits
        keep_scores = gc.return_dict_in_generate and gc.output_scores

        def process(sequences: torch.Tensor, scores: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
            if eos is not None and sequences.shape[1] < min_length:  # no end of sequence yet
                vocab = torch.arange(scores.shape[-1], device=scores.device)
                scores = torch.where(torch.isin(vocab, eos), float("-inf"), scores)
            if gc.do_sample:
                scores = filter_logits(scores, gc.temperature, gc.top_k or 0, gc.top_p, min_tokens_to_keep=keep)
            if keep_raw:
                collected["logits"].append(raw.clone())
            if keep_scores:
                collected["scores"].append(scores.clone())
            return scores

        return process


def _sample(ids, *, steps: _Steps, gc, prompt_len, max_length, eos, pad, process, generator) -> torch.Tensor:
    """Greedy (argmax) or sampled decoding, one token a row per step, until max_length or every row has ended."""
    del prompt_len
    unfinished = torch.ones(ids.shape[0], dtype=torch.bool, device=ids.device)
    while True:
        logits = steps.logits(ids)
        scores = process(ids, logits, logits)
        if gc.do_sample:
            next_ids = draw(scores.softmax(dim=-1), 1, generator).squeeze(1)
        else:
            next_ids = scores.argmax(dim=-1)
        if eos is not None:
            next_ids = torch.where(unfinished, next_ids, torch.full_like(next_ids, pad))  # ended rows: padding
            unfinished &= ~torch.isin(next_ids, eos)
        ids = torch.cat([ids, next_ids[:, None]], dim=1)
        if ids.shape[1] >= max_length or not bool(unfinished.any()):
            return ids
