"""The TF trunk (`MainLayer`, the variables under `roberta/`) and `TFRobertaModel`.

`MainLayer` unpacks the config once, checks the inputs, builds the attention biases and chooses the layout of
the call (packed real tokens, or every position) before running the encoder.
"""

from __future__ import annotations

from ..config import RobertaConfig
from ..model_facts import TrunkInputs, first_position, per_layer_head_masks, position_ids_from_input_ids
from ..model_facts.sizes import embedding_sizes
from ._keras import in_xla, tf
from .array_ops import TFOps
from .inputs import check_ids, check_positions, check_rank, unpack_inputs
from .layers import Block, Embeddings, Encoder, linear
from .layout import Layout, dims
from .masks import cross_attention_bias, self_attention_bias
from .outputs import TFBaseModelOutputWithPoolingAndCrossAttentions
from .pretrained import TFRobertaPreTrainedModel


class MainLayer(Block):
    """The RoBERTa trunk (`roberta/...`): embeddings, encoder and the optional pooler."""

    def __init__(self, config: RobertaConfig, *, add_pooling_layer: bool = True) -> None:
        c = config
        super().__init__(name="roberta", std=c.initializer_range)
        self.vocab_size, self.type_vocab_size = c.vocab_size, c.type_vocab_size
        self.num_layers, self.num_heads, self.hidden = c.num_hidden_layers, c.num_attention_heads, c.hidden_size
        self.padding_idx, self.max_positions = c.pad_token_id, c.max_position_embeddings
        self.is_decoder, self.absolute = c.is_decoder, c.position_embedding_type == "absolute"
        self.add_pooling_layer = add_pooling_layer
        # Kept repeat: config fields to the encoder's keywords, as in the PyTorch and Flax models.
        self.encoder = Encoder(
            num_layers=c.num_hidden_layers,
            std=c.initializer_range,
            hidden_size=c.hidden_size,
            num_heads=c.num_attention_heads,
            intermediate_size=c.intermediate_size,
            act=c.hidden_act,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
            attn_dropout=c.attention_probs_dropout_prob,
            relative=None if self.absolute else c.position_embedding_type,
            max_positions=c.max_position_embeddings,
            cross=c.add_cross_attention,
        )
        self.embeddings = Embeddings(std=c.initializer_range, **embedding_sizes(c))

    def build(self, input_shape=None) -> None:
        if self.add_pooling_layer:
            self.pooler = self.dense_weights("pooler/dense", self.hidden, self.hidden)
        super().build(input_shape)

    def positions(self, input_ids, batch, length, past_length) -> tf.Tensor:
        """RoBERTa counts positions from padding_idx + 1; padding tokens get position padding_idx."""
        if input_ids is None:
            start = first_position(self.padding_idx, past_length)
            return tf.tile(tf.range(start, start + length)[None, :], [batch, 1])
        return position_ids_from_input_ids(TFOps, input_ids, self.padding_idx, past_length)

    def forward(
        self, inputs: TrunkInputs, *, keep=None, training: bool = False
    ) -> TFBaseModelOutputWithPoolingAndCrossAttentions:
        """The trunk on `inputs` (tensors; flags already set). `keep` (B, T) bool: padded positions that must
        still be computed (those carrying labels)."""
        a = inputs
        input_ids, attention_mask, token_type_ids = a.input_ids, a.attention_mask, a.token_type_ids
        position_ids, inputs_embeds, past_key_values = a.position_ids, a.inputs_embeds, a.past_key_values
        encoder_hidden_states, output_attentions = a.encoder_hidden_states, a.output_attentions
        output_hidden_states = a.output_hidden_states
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        check_rank("input_ids", input_ids, 2, "(batch, seq)")
        check_rank("inputs_embeds", inputs_embeds, 3, "(batch, seq, hidden)")
        input_ids = check_ids("input_ids", input_ids, self.vocab_size, "vocab_size")
        token_type_ids = check_ids("token_type_ids", token_type_ids, self.type_vocab_size, "type_vocab_size")
        if inputs_embeds is not None and inputs_embeds.dtype != tf.float32:
            raise TypeError(f"inputs_embeds has dtype {inputs_embeds.dtype.name} but the model runs in float32")
        ref = input_ids if input_ids is not None else inputs_embeds
        batch, length = dims(ref)[:2]
        if past_key_values is not None and len(past_key_values) != self.num_layers:
            raise ValueError(f"past_key_values has {len(past_key_values)} layers, the model has {self.num_layers}")
        past_length = 0 if past_key_values is None else tf.shape(past_key_values[0][0])[2]
        use_cache = bool(a.use_cache) and self.is_decoder
        if token_type_ids is None:
            token_type_ids = tf.zeros([batch, length], tf.int32)
        if self.absolute:
            if position_ids is None:
                position_ids = self.positions(input_ids, batch, length, past_length)
            position_ids = check_positions(position_ids, self.max_positions, self.padding_idx)
        x = self.embeddings.forward(input_ids, token_type_ids, position_ids, inputs_embeds, training)
        _check_mask(attention_mask, ref, past_key_values is not None)

        bias = self_attention_bias(attention_mask, batch, length, past_length, causal=self.is_decoder)
        cross_bias = None
        if encoder_hidden_states is not None:
            cross_bias = cross_attention_bias(a.encoder_attention_mask)
        head_mask = None if a.head_mask is None else tf.cast(a.head_mask, tf.float32)
        head_masks = per_layer_head_masks(head_mask, self.num_layers, self.num_heads)
        # Packing needs a padding mask and no cache; attention weights are returned for every query row as
        # the padded computation gives them.
        packable = attention_mask is not None and attention_mask.shape.rank == 2 and past_key_values is None
        if packable and not use_cache and not output_attentions and not in_xla():
            keep_mask = attention_mask > 0 if keep is None else tf.logical_or(attention_mask > 0, keep)
            layout = Layout.plan(batch, length, keep_mask)
        else:
            layout = Layout.plan(batch, length, None)

        h = layout.pack(x)  # (N, hidden): only kept tokens from here on when packed
        hidden, attentions, cross_attentions, presents = [], [], [], []
        for i, layer in enumerate(self.encoder.layer):
            if output_hidden_states:
                hidden.append(layout.unpack(h))
            out = layer.forward(
                h,
                layout=layout,
                bias=bias,
                past=None if past_key_values is None else past_key_values[i],
                past_length=past_length,
                head_mask=head_masks[i],
                encoder_states=encoder_hidden_states,
                cross_bias=cross_bias,
                training=training,
            )
            h = out.hidden
            presents.append(out.present)
            attentions.append(out.probs)
            if out.cross_probs is not None:
                cross_attentions.append(out.cross_probs)
        last = layout.unpack(h)
        if output_hidden_states:
            hidden.append(last)
        pooled = tf.math.tanh(linear(last[:, 0], self.pooler)) if self.add_pooling_layer else None
        return TFBaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=last,
            pooler_output=pooled,
            past_key_values=tuple(presents) if use_cache else None,
            hidden_states=tuple(hidden) if output_hidden_states else None,
            attentions=tuple(attentions) if output_attentions else None,
            cross_attentions=tuple(cross_attentions) if output_attentions and self.encoder.layer[0].has_cross else None,
        )


def _check_mask(mask, ref, cached: bool) -> None:
    """A 2-D mask must be (batch, cached + new tokens); checked where the shapes are known."""
    if mask is None or mask.shape.rank not in (2, 3):
        if mask is not None:
            raise ValueError(f"attention_mask must be 2-D (batch, seq) or 3-D, got shape {tuple(mask.shape)}")
        return
    b, t = ref.shape[:2]
    if mask.shape.rank == 2 and b is not None and mask.shape[0] is not None and mask.shape[0] != b:
        raise ValueError(f"attention_mask has batch size {mask.shape[0]}, input has {b}")
    if mask.shape.rank == 2 and not cached and t is not None and mask.shape[1] is not None and mask.shape[1] != t:
        raise ValueError(f"attention_mask must be shaped (batch={b}, {t}), got {tuple(mask.shape)}")


class TFRobertaModel(TFRobertaPreTrainedModel):
    """The bare RoBERTa trunk (encoder, or decoder with `config.is_decoder`): hidden states and a pooled output."""

    _ignore_unexpected = (r"position_ids$",)

    def __init__(self, config: RobertaConfig, *inputs, add_pooling_layer: bool = True, **kwargs) -> None:
        super().__init__(config, *inputs, **kwargs)
        self.roberta = MainLayer(config, add_pooling_layer=add_pooling_layer)

    # The reference's argument list (the heads repeat it in part): users and Keras call it positionally.
    @unpack_inputs
    def call(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None, head_mask=None,
             inputs_embeds=None, encoder_hidden_states=None, encoder_attention_mask=None, past_key_values=None,
             use_cache=None, output_attentions=None, output_hidden_states=None, return_dict=None,
             training=False):  # fmt: skip
        trunk = TrunkInputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
            output_attentions=output_attentions, output_hidden_states=output_hidden_states,
            encoder_hidden_states=encoder_hidden_states, encoder_attention_mask=encoder_attention_mask,
            past_key_values=past_key_values, use_cache=use_cache)  # fmt: skip
        return self._finish(self.roberta.forward(trunk, training=training), return_dict)
