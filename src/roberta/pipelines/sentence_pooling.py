"""The sentence vector of one input from its last hidden state, through a sentence-transformers folder's
modules (`sentence_folder.SentenceFolder`): Pooling, Dense, Normalize, in the folder's order, computed as
sentence-transformers (5.x) computes them.

Inputs arrive one at a time and unpadded (the pipelines trim padding off every row), so the attention mask of
an input is all ones but for the prompt's tokens when the Pooling module leaves them out.
"""

from __future__ import annotations

import torch

from .sentence_folder import Dense, Normalize, Pooling, SentenceFolder


def sentence_vector(
    hidden: torch.Tensor, folder: SentenceFolder, prompt_length: int = 0, *, final_normalize: bool = True
) -> torch.Tensor:
    """(dim,) the vector of one input whose last hidden state is `hidden` (tokens, hidden_size).

    `prompt_length`: leading tokens the Pooling module leaves out (see `SentenceFolder.prompt_length`).
    `final_normalize=False` skips a Normalize module that ends the chain (the server's `normalize: false`)."""
    return after_pooling(pooled(hidden, folder, prompt_length), folder, final_normalize=final_normalize)


def token_states(hidden: torch.Tensor, folder: SentenceFolder) -> torch.Tensor:
    """(tokens, width) the token embeddings sentence-transformers gives (`output_value="token_embeddings"`):
    the last hidden state through the Dense modules that run on tokens, before the Pooling."""
    for module in folder.modules:
        if isinstance(module, Pooling):
            break
        hidden = dense(hidden, module)  # the parser lets only token-level Dense modules before the Pooling
    return hidden


def pooled(hidden: torch.Tensor, folder: SentenceFolder, prompt_length: int = 0) -> torch.Tensor:
    """The Pooling module's vector of one input (its token-level Dense modules applied first)."""
    return pool(token_states(hidden, folder), folder.pooling, prompt_length)


def after_pooling(vector: torch.Tensor, folder: SentenceFolder, *, final_normalize: bool = True) -> torch.Tensor:
    """The modules after the Pooling (Dense, Normalize) on a pooled vector; `final_normalize=False` skips a
    Normalize module that ends the chain."""
    at = next(i for i, m in enumerate(folder.modules) if isinstance(m, Pooling))
    modules = list(folder.modules[at + 1 :])
    if not final_normalize and modules and isinstance(modules[-1], Normalize):
        modules.pop()
    for module in modules:
        vector = dense(vector, module) if isinstance(module, Dense) else l2_normalize(vector)
    return vector


def pool(hidden: torch.Tensor, pooling: Pooling, prompt_length: int = 0) -> torch.Tensor:
    """(len(modes) * hidden_size,) the pooled vectors of `hidden` (tokens, hidden_size), concatenated in the
    order of `pooling.modes`. The prompt's tokens are left out where `pooling.include_prompt` is False."""
    n = hidden.shape[0]
    mask = torch.ones(n, dtype=hidden.dtype)
    if not pooling.include_prompt and prompt_length:
        mask[:prompt_length] = 0
    counted = mask.unsqueeze(-1)  # (tokens, 1)
    kept = counted.sum().clamp(min=1e-9)
    # the first and the last token counted (the first token where none is, as sentence-transformers does)
    first = int(mask.argmax())
    last = int(mask.nonzero().max()) if bool(mask.any()) else 0
    parts = []
    for mode in pooling.modes:
        if mode == "cls":
            parts.append(hidden[first])
        elif mode == "max":
            parts.append(hidden.masked_fill(counted == 0, float("-inf")).max(dim=0).values)
        elif mode == "mean":
            parts.append((hidden * counted).sum(dim=0) / kept)
        elif mode == "mean_sqrt_len_tokens":
            parts.append((hidden * counted).sum(dim=0) / kept.sqrt())
        elif mode == "weightedmean":
            # the i-th token (from 0) weighs i + 1
            weights = counted * torch.arange(1, n + 1, dtype=hidden.dtype).unsqueeze(-1)
            parts.append((hidden * weights).sum(dim=0) / weights.sum().clamp(min=1e-9))
        elif mode == "lasttoken":
            parts.append(hidden[last] * mask[last])  # zeros where no token is counted
        else:  # the parser only lets the modes above through
            raise ValueError(f"unknown pooling mode {mode!r}")
    return torch.cat(parts)


def dense(vector: torch.Tensor, module: Dense) -> torch.Tensor:
    """The Dense module on a vector (or on each row of token states): its activation of the affine map."""
    out = torch.nn.functional.linear(vector, module.weight.to(vector.dtype), _cast(module.bias, vector.dtype))
    return getattr(torch.nn, module.activation)()(out)


def l2_normalize(vector: torch.Tensor) -> torch.Tensor:
    """`vector` / its L2 norm (a zero vector stays zero), as the Normalize module and `normalize=True` do."""
    return torch.nn.functional.normalize(vector, p=2, dim=-1)


def _cast(bias: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    return None if bias is None else bias.to(dtype)
