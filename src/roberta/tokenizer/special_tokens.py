"""Special-token attributes (`bos_token`, `pad_token_id`, `all_special_ids`, ...) shared by both tokenizers."""

from __future__ import annotations

from typing import Any

from tokenizers import AddedToken

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


class SpecialTokensMixin:
    """Holds the special tokens by role; subclasses provide `convert_tokens_to_ids`/`convert_ids_to_tokens`."""

    _special_tokens: dict[str, TokenLike | None]
    additional_special_tokens: list[str]

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
