"""token-classification (alias ner), as the reference's `TokenClassificationPipeline`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .base import Pipeline, check_text, softmax
from .windows import TOKEN_AGGREGATES, check_fits, parse_window

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
        stride / window: a text longer than the model reads is read in overlapping windows (with a fast
            tokenizer, by default); truncation=True reads only its first window instead, as the reference
            does without a stride. With a slow tokenizer (no offsets, so no windows) a text that long is an
            error naming its token count and the limit unless truncation=True.

    `start` / `end` are character offsets into the input and need a fast tokenizer (else they are None and
    only "none" / "simple" are allowed). Words are detected as in the reference for byte-level BPE: a token
    continues a word when the character before it is not a space.
    """

    task = "token-classification"
    per_token_outputs = ("logits",)

    def _sanitize(
        self,
        aggregation_strategy: Any = None,
        ignore_labels: Sequence[str] | None = None,
        stride: int | None = None,
        window: Any = None,
        truncation: bool | None = None,
        **unknown: Any,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if unknown:
            raise TypeError(f"token-classification got unexpected option(s) {sorted(unknown)}")
        pre: dict[str, Any] = {}
        if truncation:
            if window is not None or stride is not None:
                raise ValueError(
                    "truncation=True and window (or stride) exclude each other: a text is cut, or windowed"
                )
            pre["truncation"] = True
        window = parse_window(window, max_length=self.max_length, aggregates=TOKEN_AGGREGATES)
        if window is not None:  # the shared option: windows of its length, sharing its stride
            if stride is not None:
                raise ValueError("window sets the stride; give window or stride, not both")
            pre["length"], stride = window.length, window.stride
        if stride is not None:
            if not isinstance(stride, int) or isinstance(stride, bool) or stride < 0:
                raise ValueError(f"stride must be an int >= 0, got {stride!r}")
            if stride >= self.max_length - 2:
                raise ValueError(f"stride ({stride}) must be smaller than the {self.max_length - 2} tokens of a window")
            pre["stride"] = stride
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
        return pre, post

    def preprocess(
        self, item: Any, stride: int | None = None, length: int | None = None, truncation: bool = False
    ) -> list[dict[str, Any]]:
        """One feature per window: a text longer than the model reads is cut into windows that overlap by
        `stride` tokens (default: a quarter of a window, at most 128), as the reference does with `stride`;
        with `truncation`, its first window only."""
        text = check_text(item, "token-classification input")
        if not self.tokenizer.is_fast:  # no offsets, so no windows: cut only when asked
            cut = {"truncation": True, "max_length": self.max_length} if truncation else {}
            enc = self.tokenizer(text, return_special_tokens_mask=True, **cut)
            check_fits(len(enc["input_ids"]), self.max_length, windows=False)
            return [{"input_ids": enc["input_ids"], "special_tokens_mask": enc["special_tokens_mask"], "offsets": None}]
        enc = self.tokenizer(
            text,
            truncation=True,
            max_length=length or self.max_length,
            stride=min(self.max_length // 4, 128) if stride is None else stride,
            return_overflowing_tokens=not truncation,
            return_special_tokens_mask=True,
            return_offsets_mapping=True,
        )
        if truncation:  # one window: the same shape as the windows'
            enc = {k: [enc[k]] for k in ("input_ids", "special_tokens_mask", "offset_mapping")}
        return [
            {
                "input_ids": list(enc["input_ids"][w]),
                "special_tokens_mask": list(enc["special_tokens_mask"][w]),
                "offsets": [tuple(o) for o in enc["offset_mapping"][w]],
            }
            for w in range(len(enc["input_ids"]))
        ]

    @staticmethod
    def _merge_windows(features: list[dict[str, Any]], logits: list[np.ndarray]) -> tuple[dict[str, Any], np.ndarray]:
        """One token sequence from overlapping windows: a token seen in two windows takes its scores from the
        window where it sits farther from an edge (more context on both sides)."""
        best: dict[tuple[int, int, int], tuple[int, int, np.ndarray]] = {}
        for feature, scores in zip(features, logits):
            real = [i for i, s in enumerate(feature["special_tokens_mask"]) if not s]
            seen: dict[tuple[int, int], int] = {}
            for rank, i in enumerate(real):
                start, end = feature["offsets"][i]
                key = (start, end, seen.get((start, end), 0))  # byte pieces of one character share offsets
                seen[(start, end)] = key[2] + 1
                margin = min(rank, len(real) - 1 - rank)
                if key not in best or margin > best[key][0]:
                    best[key] = (margin, feature["input_ids"][i], scores[i])
        keys = sorted(best)
        width = logits[0].shape[-1]
        merged = {
            "input_ids": [features[0]["input_ids"][0]] + [best[k][1] for k in keys] + [features[0]["input_ids"][-1]],
            "special_tokens_mask": [1] + [0] * len(keys) + [1],
            "offsets": [(0, 0)] + [(k[0], k[1]) for k in keys] + [(0, 0)],
        }
        rows = (
            [np.zeros(width, dtype=logits[0].dtype)] + [best[k][2] for k in keys] + [np.zeros(width, logits[0].dtype)]
        )
        return merged, np.stack(rows)

    # ------------------------------------------------------------------ postprocessing
    def _word_aware(self) -> bool:
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        return bool(backend is not None and getattr(backend.model, "continuing_subword_prefix", None))

    # Kept repeat: Pipeline.postprocess's hook (item, its features, their outputs), then this task's options.
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
        if len(features) > 1:
            feature, logits = self._merge_windows(features, [o["logits"].numpy() for o in outputs])
        scores = softmax(logits)
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

    def render(self, result: Any) -> str:
        if not result:
            return "(no entities)"
        return "\n".join(
            f"{r['word']!r}\t{r.get('entity_group', r.get('entity'))}\t{r['score']:.4f}\t{r['start']}-{r['end']}"
            for r in result
        )
