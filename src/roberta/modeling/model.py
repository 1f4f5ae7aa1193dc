"""`RobertaModel`: embeddings, the encoder stack and the pooler, under the reference's module names.

The config is unpacked once here and in `layers.py`: inner modules get plain numbers. `encode` is the pass
itself and returns the layout it chose, so heads can run their own per-token work in it.
"""

from __future__ import annotations

import torch
from torch import nn

from ..config import RobertaConfig
from ..model_facts import TrunkInputs, check_id_range, per_layer_head_masks
from ..model_facts.sizes import embedding_sizes
from .attention import check_backend_name, resolve_kernel
from .cache import KVCache, as_cache
from .embeddings import RobertaEmbeddings, position_ids_from_input_ids
from .layers import Pass, RobertaEncoder, RobertaPooler
from .layout import Layout, padded, plan
from .linear import onednn_pass, tracing
from .masks import cross_attention_bias, self_attention_bias
from .outputs import BaseModelOutputWithPoolingAndCrossAttentions
from .precision import stream_dtype
from .pretrained import RobertaPreTrainedModel

__all__ = ["RobertaModel", "TrunkInputs", "position_ids_from_input_ids"]


def _check_ids(name: str, ids: torch.Tensor | None, limit: int, limit_name: str) -> None:
    if ids is None:
        return
    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(ids).__name__}")
    if ids.dtype not in (torch.long, torch.int32):
        raise TypeError(f"{name} must hold integers as torch.long (or torch.int32), got dtype {ids.dtype}")
    if tracing() or not ids.numel():  # the value check reads the tensor: not inside a traced graph
        return
    check_id_range(name, int(ids.max()), int(ids.min()), limit, limit_name)


def _check_shape(name: str, tensor: torch.Tensor | None, want: tuple[int, int]) -> None:
    if tensor is not None and tuple(tensor.shape) != want:
        raise ValueError(f"{name} must have the shape of input_ids, {want}, got {tuple(tensor.shape)}")


def _check_cache_position(cache_position, past_length: int, length: int) -> None:
    """`cache_position` (length,) must name the slots the new tokens take in the cache: past_length, ...,
    past_length + length - 1. The reference hands it to its cache, whose default (dynamic) kind appends
    the new keys whatever it says; so does `KVCache`, and a disagreeing value is an error, not ignored."""
    if cache_position is None:
        return
    if not isinstance(cache_position, torch.Tensor) or cache_position.dim() != 1 or cache_position.numel() != length:
        got = tuple(cache_position.shape) if isinstance(cache_position, torch.Tensor) else type(cache_position).__name__
        raise ValueError(f"cache_position must be a 1-D tensor of the {length} new tokens' cache slots, got {got}")
    if tracing():  # the value check reads the tensor: not inside a traced graph
        return
    want = torch.arange(past_length, past_length + length, device=cache_position.device)
    if not torch.equal(cache_position.long(), want):
        raise ValueError(
            f"cache_position {cache_position.tolist()} disagrees with the cache, which holds {past_length} tokens: "
            f"the new tokens take slots {past_length}..{past_length + length - 1} (leave cache_position out)"
        )


class RobertaModel(RobertaPreTrainedModel):
    """The RoBERTa encoder (or decoder, with `config.is_decoder`), returning hidden states and a pooled output.

    Forward arguments and outputs follow the reference's `RobertaModel`.
    """

    def __init__(self, config: RobertaConfig, add_pooling_layer: bool = True) -> None:
        super().__init__(config)
        c = config
        self.embeddings = RobertaEmbeddings(padding_idx=c.pad_token_id, **embedding_sizes(c))
        self.encoder = RobertaEncoder(c)
        self.pooler = RobertaPooler(c.hidden_size) if add_pooling_layer else None
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    # The reference's argument list (the heads repeat it in part): users and Keras call it positionally.
    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
                inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, past_key_values=None,
                use_cache=None, output_attentions=None, output_hidden_states=None, return_dict=None,
                cache_position=None):  # fmt: skip
        out, _ = self.encode(
            TrunkInputs(
                input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                encoder_hidden_states=encoder_hidden_states, encoder_attention_mask=encoder_attention_mask,
                past_key_values=past_key_values, use_cache=use_cache, output_attentions=output_attentions,
                output_hidden_states=output_hidden_states, cache_position=cache_position,
            )
        )  # fmt: skip
        if self.config.use_return_dict if return_dict is None else return_dict:
            return out
        # The reference keeps the pooled slot (None without a pooler) in the tuple form.
        rest = (out.past_key_values, out.hidden_states, out.attentions, out.cross_attentions)
        return (out.last_hidden_state, out.pooler_output) + tuple(r for r in rest if r is not None)

    def encode(
        self, inputs: TrunkInputs, *, keep: torch.Tensor | None = None, every_position: bool = False
    ) -> tuple[BaseModelOutputWithPoolingAndCrossAttentions, Layout]:
        """The forward pass on `inputs`, and the layout it chose (heads run their own per-token work in it).
        `keep` (B, T) bool: padded positions a head needs computed (those carrying labels); `every_position`:
        compute every position (the padded layout), for heads whose loss reads them all."""
        c, i = self.config, inputs
        output_attentions = c.output_attentions if i.output_attentions is None else i.output_attentions
        output_hidden_states = c.output_hidden_states if i.output_hidden_states is None else i.output_hidden_states
        use_cache = (c.use_cache if i.use_cache is None else i.use_cache) and c.is_decoder
        input_ids, attention_mask, inputs_embeds = i.input_ids, i.attention_mask, i.inputs_embeds
        token_type_ids, position_ids, encoder_hidden_states = i.token_type_ids, i.position_ids, i.encoder_hidden_states
        if self.encoder.gradient_checkpointing and self.training:
            use_cache = False

        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        _check_ids("input_ids", input_ids, c.vocab_size, "vocab_size")
        _check_ids("token_type_ids", token_type_ids, c.type_vocab_size, "type_vocab_size")
        if inputs_embeds is not None and inputs_embeds.dtype != self.dtype:
            raise TypeError(f"inputs_embeds has dtype {inputs_embeds.dtype} but the model runs in {self.dtype}")
        ref = input_ids if input_ids is not None else inputs_embeds
        if ref.dim() != (2 if input_ids is not None else 3):
            raise ValueError(
                f"{'input_ids' if input_ids is not None else 'inputs_embeds'} must be batched: "
                f"shape (batch, seq{'' if input_ids is not None else ', hidden'}), got {tuple(ref.shape)}"
            )
        b, t = ref.shape[:2]
        if b == 0 or t == 0:
            raise ValueError(
                f"{'input_ids' if input_ids is not None else 'inputs_embeds'} is empty (shape {tuple(ref.shape)}): "
                f"give at least one sequence of at least one token"
            )
        _check_shape("token_type_ids", token_type_ids, (b, t))
        _check_shape("position_ids", position_ids, (b, t))
        device = ref.device

        cache = as_cache(i.past_key_values, c.num_hidden_layers)
        if cache is None and use_cache:
            cache = KVCache(c.num_hidden_layers)
        past_length = cache.get_seq_length() if cache is not None else 0
        _check_cache_position(i.cache_position, past_length, t)

        x = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds, past_length)
        out_dtype = x.dtype  # the bf16 mode runs its residual stream in fp32 and answers in bf16 (precision.py)
        if encoder_hidden_states is None and cache is None:
            x = x.to(stream_dtype(self.embeddings.LayerNorm, x))
        kernel, skip_padding = resolve_kernel(
            self.attn_implementation, need_weights=bool(output_attentions), head_mask=i.head_mask is not None
        )
        bias = self_attention_bias(attention_mask, b, t, past_length, causal=c.is_decoder, dtype=x.dtype, device=device)
        cross_bias = None
        if encoder_hidden_states is not None:
            cross_bias = cross_attention_bias(i.encoder_attention_mask, t, dtype=x.dtype)
        head_mask = None if i.head_mask is None else i.head_mask.to(x.dtype)
        head_masks = per_layer_head_masks(head_mask, c.num_hidden_layers, c.num_attention_heads)
        # The layout, once for the whole pass (layout.py): packed unless something needs every position, or
        # a graph is traced (a packed layout's shapes depend on the mask's values).
        if skip_padding and cache is None and not every_position and not tracing():
            compact = not c.is_decoder and c.position_embedding_type == "absolute" and encoder_hidden_states is None
            layout = plan(attention_mask, b, t, bias=bias, compact=compact, keep=keep)
        else:
            layout = padded(b, t, bias)
        x = layout.pack(x)  # packed: (N, hidden), only real tokens (and position 0) from here on
        p = Pass(layout, onednn_pass(x), kernel, bool(output_attentions), cache, encoder_hidden_states, cross_bias)
        x, all_hidden, all_self, all_cross = self.encoder(x, p, head_masks, bool(output_hidden_states))
        x = layout.unpack(x).to(out_dtype)
        if output_hidden_states:
            all_hidden = [h.to(out_dtype) for h in all_hidden] + [x]

        out = BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=x,
            pooler_output=self.pooler(x) if self.pooler is not None else None,
            past_key_values=cache if use_cache else None,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            attentions=tuple(all_self) if output_attentions else None,
            cross_attentions=tuple(all_cross) if output_attentions and c.add_cross_attention else None,
        )
        return out, layout

    @property
    def attn_implementation(self) -> str:
        return check_backend_name(self.config._attn_implementation)
