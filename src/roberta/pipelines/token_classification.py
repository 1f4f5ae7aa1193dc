"""token-classification (alias ner), as the reference's `TokenClassificationPipeline`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .base import Pipeline, check_text

STRATEGIES = ("none", "simple", "first", "average", "max")


def _tag(label: str) -> tuple[str, str]:
    if label.startswith("B-"):
        return "B", label[2:]
    if label.startswith("I-"):
        return "I", label[2:]
    return "I", label


class TokenClassificationPipeline(Pipeline):
    """Per-token labels, optionally grouped into entities.

    Call options:
        aggregation_strategy: "none" (one dict per token: entity, score, index, word, start, end),
            "simple" (adjacent tokens with the same tag are merged), "first" / "average" / "max" (the sub-tokens
            of a word first agree on one label, then words are merged as with "simple"); grouped results carry
            entity_group, score, word, start, end.
        ignore_labels: labels to drop (default ["O"]).

    `start` / `end` are character offsets into the input and need a fast tokenizer (else they are None and
    only "none" / "simple" are allowed). Words are detected as in the reference for byte-level BPE: a token
    continues a word when the character before it is not a space.
    """

    task = "token-classification"
    per_token_outputs = ("logits",)

    def _sanitize(
        self, aggregation_strategy: Any = None, ignore_labels: Sequence[str] | None = None, **unknown: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"token-classification got unexpected option(s) {sorted(unknown)}")
        post: dict[str, Any] = {}
        if aggregation_strategy is not None:
            name = getattr(aggregation_strategy, "value", aggregation_strategy)
            if not isinstance(name, str) or name.lower() not in STRATEGIES:
                raise ValueError(f"aggregation_strategy must be one of {STRATEGIES}, got {aggregation_strategy!r}")
            name = name.lower()
            if name in ("first", "average", "max") and not self.tokenizer.is_fast:
                raise ValueError(
                    "Slow tokenizers cannot handle subwords. Please set the `aggregation_strategy` "
                    'option to `"simple"` or use a fast tokenizer.'
                )
            post["aggregation_strategy"] = name
        if ignore_labels is not None:
            if isinstance(ignore_labels, str) or not all(isinstance(x, str) for x in ignore_labels):
                raise TypeError(f"ignore_labels must be a list of str, got {ignore_labels!r}")
            post["ignore_labels"] = list(ignore_labels)
        return {}, post

    def preprocess(self, item: Any) -> list[dict[str, Any]]:
        text = check_text(item, "token-classification input")
        fast = bool(self.tokenizer.is_fast)
        max_len = self.tokenizer.model_max_length
        enc = self.tokenizer(
            text, truncation=bool(max_len and max_len > 0), return_special_tokens_mask=True, return_offsets_mapping=fast
        )
        return [
            {
                "input_ids": list(enc["input_ids"]),
                "special_tokens_mask": list(enc["special_tokens_mask"]),
                "offsets": [tuple(o) for o in enc["offset_mapping"]] if fast else None,
            }
        ]

    def _forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.model(input_ids=input_ids, attention_mask=attention_mask).logits}

    # ------------------------------------------------------------------ postprocessing
    def _word_aware(self) -> bool:
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        return bool(backend is not None and getattr(backend.model, "continuing_subword_prefix", None))

    def postprocess(
        self,
        item: str,
        features: list[dict[str, Any]],
        outputs: list[dict[str, torch.Tensor]],
        aggregation_strategy: str = "none",
        ignore_labels: list[str] | None = None,
    ) -> list[dict]:
        ignore = ["O"] if ignore_labels is None else ignore_labels
        feature, logits = features[0], outputs[0]["logits"].numpy()
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        scores = e / e.sum(axis=-1, keepdims=True)
        pre = self._pre_entities(item, feature, scores)
        if aggregation_strategy in ("none", "simple"):
            labels = self.model.config.id2label
            entities = []
            for p in pre:
                idx = int(p["scores"].argmax())
                entities.append(
                    {
                        "entity": labels[idx],
                        "score": float(p["scores"][idx]),
                        "index": p["index"],
                        "word": p["word"],
                        "start": p["start"],
                        "end": p["end"],
                    }
                )
        else:
            entities = self._aggregate_words(pre, aggregation_strategy)
        if aggregation_strategy != "none":
            entities = self._group(entities)
        return [x for x in entities if x.get("entity") not in ignore and x.get("entity_group") not in ignore]

    def _pre_entities(self, sentence: str, feature: dict[str, Any], scores: np.ndarray) -> list[dict[str, Any]]:
        ids, special, offsets = feature["input_ids"], feature["special_tokens_mask"], feature["offsets"]
        word_aware = self._word_aware()
        result = []
        for idx, token_scores in enumerate(scores):
            if special[idx]:
                continue
            word = self.tokenizer.convert_ids_to_tokens(int(ids[idx]))
            if offsets is not None:
                start, end = int(offsets[idx][0]), int(offsets[idx][1])
                ref = sentence[start:end]
                if word_aware:
                    is_subword = len(word) != len(ref)
                else:
                    is_subword = start > 0 and " " not in sentence[start - 1 : start + 1]
                if int(ids[idx]) == self.tokenizer.unk_token_id:
                    word, is_subword = ref, False
            else:
                start = end = None
                is_subword = False
            result.append(
                {
                    "word": word,
                    "scores": token_scores,
                    "start": start,
                    "end": end,
                    "index": idx,
                    "is_subword": is_subword,
                }
            )
        return result

    def _aggregate_word(self, group: list[dict[str, Any]], strategy: str) -> dict[str, Any]:
        labels = self.model.config.id2label
        if strategy == "first":
            scores = group[0]["scores"]
        elif strategy == "max":
            scores = max(group, key=lambda p: p["scores"].max())["scores"]
        else:
            scores = np.nanmean(np.stack([p["scores"] for p in group]), axis=0)
        idx = int(scores.argmax())
        return {
            "entity": labels[idx],
            "score": float(scores[idx]),
            "word": self.tokenizer.convert_tokens_to_string([p["word"] for p in group]),
            "start": group[0]["start"],
            "end": group[-1]["end"],
        }

    def _aggregate_words(self, pre: list[dict[str, Any]], strategy: str) -> list[dict[str, Any]]:
        words, group = [], None
        for p in pre:
            if group is None:
                group = [p]
            elif p["is_subword"]:
                group.append(p)
            else:
                words.append(self._aggregate_word(group, strategy))
                group = [p]
        if group is not None:
            words.append(self._aggregate_word(group, strategy))
        return words

    def _group_one(self, entities: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "entity_group": entities[0]["entity"].split("-", 1)[-1],
            "score": float(np.nanmean([e["score"] for e in entities])),
            "word": self.tokenizer.convert_tokens_to_string([e["word"] for e in entities]),
            "start": entities[0]["start"],
            "end": entities[-1]["end"],
        }

    def _group(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        groups, current = [], []
        for entity in entities:
            if not current:
                current.append(entity)
                continue
            bi, tag = _tag(entity["entity"])
            _, last_tag = _tag(current[-1]["entity"])
            if tag == last_tag and bi != "B":
                current.append(entity)
            else:
                groups.append(self._group_one(current))
                current = [entity]
        if current:
            groups.append(self._group_one(current))
        return groups

    def __call__(self, inputs: str | list[str], **kwargs: Any) -> Any:
        """Label the tokens of one text, or of each text of a list."""
        return super().__call__(inputs, **kwargs)

    def render(self, result: Any) -> str:
        if not result:
            return "(no entities)"
        return "\n".join(
            f"{r['word']!r}\t{r.get('entity_group', r.get('entity'))}\t{r['score']:.4f}\t{r['start']}-{r['end']}"
            for r in result
        )
