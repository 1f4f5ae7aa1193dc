"""Special tokens, shared by both tokenizers: the attributes (`bos_token`, `pad_token_id`, `all_special_ids`,
...), `add_special_tokens`, and RoBERTa's layout of them around the sequences (`<s> A </s></s> B </s>`)."""

from __future__ import annotations

import logging
from typing import Any

from tokenizers import AddedToken

logger = logging.getLogger(__name__)

SPECIAL_TOKEN_ATTRIBUTES = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")

DEFAULT_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "cls_token": "<s>",
    "mask_token": "<mask>",
}

TokenLike = str | AddedToken


def default_special_tokens(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the special-token arguments from `kwargs`, filling RoBERTa's defaults."""
    return {name: kwargs.pop(name, DEFAULT_SPECIAL_TOKENS[name]) for name in SPECIAL_TOKEN_ATTRIBUTES}


def added_token_to_dict(token: AddedToken, with_special: bool = True) -> dict[str, Any]:
    """JSON form of an AddedToken, as tokenizer_config.json stores it."""
    out = {
        "content": token.content,
        "lstrip": token.lstrip,
        "normalized": token.normalized,
        "rstrip": token.rstrip,
        "single_word": token.single_word,
    }
    if with_special:
        out["special"] = token.special
    return out


def added_token_from_json(value: Any, special: bool) -> TokenLike:
    """Accept a plain string, an AddedToken or its JSON dict form."""
    if isinstance(value, dict):
        kw = {k: value[k] for k in ("lstrip", "rstrip", "single_word", "normalized") if k in value}
        return AddedToken(value["content"], special=value.get("special", special), **kw)
    if isinstance(value, (str, AddedToken)) or value is None:
        return value
    raise TypeError(f"a special token must be a str, an AddedToken or None, got {type(value).__name__}")


class SpecialToken:
    """A special-token role as an attribute (`tok.pad_token`): its string, or None; set it to a str, an
    AddedToken or None."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.role = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj._special_tokens.get(self.role)
        return None if value is None else str(value)

    def __set__(self, obj: Any, value: TokenLike | None) -> None:
        if value is not None and not isinstance(value, (str, AddedToken)):
            raise TypeError(f"{self.role} must be a str, an AddedToken or None, got {type(value).__name__}")
        obj._special_tokens[self.role] = value


class SpecialTokenId:
    """The id of a special-token role (`tok.pad_token_id`), or None; setting an id sets the role's token."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj._special_tokens.get(self.role)
        return None if value is None else obj.convert_tokens_to_ids(str(value))

    def __set__(self, obj: Any, value: int | None) -> None:
        obj._special_tokens[self.role] = None if value is None else obj.convert_ids_to_tokens(value)


def _derived_length(name: str, pair: bool, doc: str) -> property:
    """`model_max_length` less the special tokens added around one sequence (or a pair); setting it only
    checks the value (`_check_derived_length`), as the reference's setters do."""

    def get(self: Any) -> int:
        return self.model_max_length - self.num_special_tokens_to_add(pair=pair)

    def set_(self: Any, value: int) -> None:
        _check_derived_length(self, name, value)

    return property(get, set_, doc=doc)


class SpecialTokensMixin:
    """Holds the special tokens by role and lays them out around the sequences; subclasses provide
    `convert_tokens_to_ids`/`convert_ids_to_tokens`, `add_tokens` and `model_max_length`."""

    _special_tokens: dict[str, TokenLike | None]
    additional_special_tokens: list[str]
    model_max_length: int

    # one attribute per role in SPECIAL_TOKEN_ATTRIBUTES, and its id
    bos_token = SpecialToken()
    eos_token = SpecialToken()
    unk_token = SpecialToken()
    sep_token = SpecialToken()
    pad_token = SpecialToken()
    cls_token = SpecialToken()
    mask_token = SpecialToken()
    bos_token_id = SpecialTokenId("bos_token")
    eos_token_id = SpecialTokenId("eos_token")
    unk_token_id = SpecialTokenId("unk_token")
    sep_token_id = SpecialTokenId("sep_token")
    pad_token_id = SpecialTokenId("pad_token")
    cls_token_id = SpecialTokenId("cls_token")
    mask_token_id = SpecialTokenId("mask_token")

    def _init_special_tokens(self, values: dict[str, TokenLike | None], additional: list[TokenLike] = ()) -> None:
        self._special_tokens = {name: values.get(name) for name in SPECIAL_TOKEN_ATTRIBUTES}
        self.additional_special_tokens = list(dict.fromkeys(str(t) for t in additional))

    @property
    def special_tokens_map(self) -> dict[str, str | list[str]]:
        """Role -> token string for each special token that is set."""
        out: dict[str, str | list[str]] = {n: str(v) for n, v in self._special_tokens.items() if v is not None}
        if self.additional_special_tokens:
            out["additional_special_tokens"] = list(self.additional_special_tokens)
        return out

    @property
    def special_tokens_map_extended(self) -> dict[str, Any]:
        """Role -> token, keeping AddedToken objects as they were given."""
        return {n: v for n, v in self._special_tokens.items() if v is not None}

    @property
    def all_special_tokens(self) -> list[str]:
        """Every distinct special token string, in role order."""
        seen: dict[str, None] = {}
        for value in self._special_tokens.values():
            if value is not None:
                seen.setdefault(str(value))
        for value in self.additional_special_tokens:
            seen.setdefault(str(value))
        return list(seen)

    @property
    def all_special_ids(self) -> list[int]:
        """The ids of `all_special_tokens`."""
        return self.convert_tokens_to_ids(self.all_special_tokens)

    @property
    def pad_token_type_id(self) -> int:
        """Token type id used for padding (always 0 for RoBERTa)."""
        return 0

    def add_special_tokens(
        self, special_tokens_dict: dict[str, Any], replace_additional_special_tokens: bool = True
    ) -> int:
        """Set special tokens by role (e.g. {"pad_token": "<pad>"}) and add them to the vocabulary."""
        new: list[TokenLike] = []
        for name, value in special_tokens_dict.items():
            if name == "additional_special_tokens":
                strs = [str(v) for v in value]
                if replace_additional_special_tokens:
                    self.additional_special_tokens = strs
                else:
                    self.additional_special_tokens += [t for t in strs if t not in self.additional_special_tokens]
                new += list(value)
            elif name in self._special_tokens:
                self._special_tokens[name] = value
                new.append(value)
            else:
                raise ValueError(f"{name!r} is not a special-token role; use one of {list(self._special_tokens)}")
        return self.add_tokens(new, special_tokens=True)

    # ----------------------------------------------------------------- RoBERTa layout
    def build_inputs_with_special_tokens(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """`<s> A </s>` for one sequence, `<s> A </s></s> B </s>` for a pair."""
        cls, sep = [self.cls_token_id], [self.sep_token_id]
        if token_ids_1 is None:
            return cls + list(token_ids_0) + sep
        return cls + list(token_ids_0) + sep + sep + list(token_ids_1) + sep

    def get_special_tokens_mask(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None, already_has_special_tokens: bool = False
    ) -> list[int]:
        """1 for special tokens, 0 for sequence tokens, for the layout `build_inputs_with_special_tokens` makes."""
        if already_has_special_tokens:
            if token_ids_1 is not None:
                raise ValueError(
                    "You should not supply a second sequence if the provided sequence of ids is "
                    "already formatted with special tokens for the model."
                )
            special = set(self.all_special_ids)
            return [1 if t in special else 0 for t in token_ids_0]
        if token_ids_1 is None:
            return [1] + [0] * len(token_ids_0) + [1]
        return [1] + [0] * len(token_ids_0) + [1, 1] + [0] * len(token_ids_1) + [1]

    def create_token_type_ids_from_sequences(
        self, token_ids_0: list[int], token_ids_1: list[int] | None = None
    ) -> list[int]:
        """RoBERTa does not use token types: all zeros, one per token of the built input."""
        return [0] * len(self.build_inputs_with_special_tokens(token_ids_0, token_ids_1))

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        """How many special tokens `build_inputs_with_special_tokens` adds (2, or 4 for a pair)."""
        return 4 if pair else 2

    max_len_single_sentence = _derived_length(
        "max_len_single_sentence",
        pair=False,
        doc="The longest single sequence the model takes, less the special tokens added around it.",
    )
    max_len_sentences_pair = _derived_length(
        "max_len_sentences_pair",
        pair=True,
        doc="The longest pair of sequences (both together) the model takes, less the special tokens.",
    )


def _check_derived_length(tok: Any, name: str, value: int) -> None:
    """The reference's setters of the derived lengths: setting the value they already have warns (once per
    tokenizer: deprecated), any other value is an error."""
    if value != getattr(tok, name):
        raise ValueError(f"Setting '{name}' is now deprecated. This value is automatically set up.")
    warned = tok.__dict__.setdefault("deprecation_warnings", {})
    if not warned.get(name):
        logger.warning("Setting '%s' is now deprecated. This value is automatically set up.", name)
    warned[name] = True
