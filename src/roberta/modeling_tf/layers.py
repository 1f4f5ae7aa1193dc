"""The TF trunk: embeddings, transformer layers, the encoder and the main layer (`roberta`).

Every block is a Keras layer that creates its variables in `build()` and names them, or the parts of them, by
the reference's TF names (so `named_slots()` is the checkpoint layout, see `names.py`). Query, key and value are
one (hidden, 3 * hidden) kernel, so self-attention projects with one matmul; the checkpoint names each third.
The model builds every block at once and calls their `forward` methods directly. The config is unpacked once,
in `MainLayer`: inner blocks get plain numbers. The trunk works on (tokens, hidden) matrices laid out by a
`Layout` (padded or packed, see `layout.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from ..config import RobertaConfig
from ._keras import in_xla, keras, tf
from .inputs import check_ids, check_positions, check_rank
from .layout import Layout, dims
from .masks import cross_attention_bias, self_attention_bias
from .outputs import TFBaseModelOutputWithPoolingAndCrossAttentions


def _gelu(x):
    return tf.nn.gelu(x, approximate=False)


def _gelu_tanh(x):
    return tf.nn.gelu(x, approximate=True)


def _quick_gelu(x):
    return x * tf.math.sigmoid(1.702 * x)


ACTIVATIONS = {
    "gelu": _gelu,
    "relu": tf.nn.relu,
    "silu": tf.nn.silu,
    "swish": tf.nn.silu,
    "tanh": tf.math.tanh,
    "gelu_new": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "quick_gelu": _quick_gelu,
}


# ---------------------------------------------------------------------- plain functions
def linear(x: tf.Tensor, weights: tuple[tf.Variable, tf.Variable]) -> tf.Tensor:
    """x @ kernel + bias for x of any rank >= 2 (one 2-D matmul).

    The bias is added on a (rows, 1, out) view: with a MatMul feeding a BiasAdd directly, TensorFlow's graph
    optimizer fuses the two into a oneDNN op that re-packs the (variable) kernel on every call, 14% slower on
    short inputs (16 rows) and no faster on long ones; the view keeps them apart."""
    kernel, bias = weights
    y = tf.matmul(tf.reshape(x, [-1, kernel.shape[0]]), kernel)
    y = tf.reshape(y, [-1, 1, kernel.shape[1]]) + bias
    return tf.reshape(y, [*dims(x)[:-1], kernel.shape[1]])


def layer_norm(x: tf.Tensor, weights: tuple[tf.Variable, tf.Variable], eps: float) -> tf.Tensor:
    gamma, beta = weights
    mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - mean) * tf.math.rsqrt(var + eps) * gamma + beta


def dropout(x: tf.Tensor, rate: float, training: bool) -> tf.Tensor:
    return tf.nn.dropout(x, rate=rate) if training and rate > 0 else x


def attend(q, k, v, bias, *, rate: float, training: bool, head_mask=None):
    """softmax(q k^T / sqrt(D) + bias) v over (B, H, L, D) x (B, H, S, D); returns (context, probabilities)."""
    scores = tf.matmul(q, k, transpose_b=True) * (1.0 / math.sqrt(q.shape[-1]))  # (B, H, L, S)
    if bias is not None:
        scores = scores + bias
    probs = tf.nn.softmax(scores, axis=-1)
    probs = dropout(probs, rate, training)
    if head_mask is not None:
        probs = probs * head_mask
    return tf.matmul(probs, v), probs


# ---------------------------------------------------------------------- blocks
class Slot(NamedTuple):
    """Where a checkpoint tensor lives: a variable, or the part `index` of one, shaped `shape`."""

    variable: tf.Variable
    index: tuple[slice, ...] | None
    shape: tuple[int, ...]


class Block(keras.layers.Layer):
    """A Keras layer whose variables (or parts of them) are named by path (`attention/self/query/kernel`)."""

    def __init__(self, *, name: str, std: float) -> None:
        super().__init__(name=name, dtype="float32")  # float32 whatever the global mixed-precision policy says
        self.std = std
        self._slots: dict[str, Slot] = {}

    def variable(self, path: str, shape: tuple[int, ...], init: str = "normal") -> tf.Variable:
        initializer = keras.initializers.TruncatedNormal(stddev=self.std) if init == "normal" else init
        var = self.add_weight(name=path, shape=shape, initializer=initializer, trainable=True)
        self._slots[path] = Slot(var, None, tuple(shape))
        return var

    def dense_weights(self, path: str, n_in: int, n_out: int) -> tuple[tf.Variable, tf.Variable]:
        return self.variable(f"{path}/kernel", (n_in, n_out)), self.variable(f"{path}/bias", (n_out,), "zeros")

    def fused_dense_weights(self, paths: list[str], name: str, n_in: int, n_out: int):
        """One (n_in, len(paths) * n_out) kernel and its bias; part j holds the dense layer `paths[j]`."""
        kernel = self.add_weight(
            name=f"{name}/kernel",
            shape=(n_in, len(paths) * n_out),
            initializer=keras.initializers.TruncatedNormal(stddev=self.std),
        )
        bias = self.add_weight(name=f"{name}/bias", shape=(len(paths) * n_out,), initializer="zeros")
        for j, path in enumerate(paths):
            part = slice(j * n_out, (j + 1) * n_out)
            self._slots[f"{path}/kernel"] = Slot(kernel, (slice(None), part), (n_in, n_out))
            self._slots[f"{path}/bias"] = Slot(bias, (part,), (n_out,))
        return kernel, bias

    def norm_weights(self, path: str, n: int) -> tuple[tf.Variable, tf.Variable]:
        return self.variable(f"{path}/gamma", (n,), "ones"), self.variable(f"{path}/beta", (n,), "zeros")

    def build(self, input_shape=None) -> None:
        for child in self.children():
            child.build(None)
        super().build(input_shape)

    def children(self) -> list[Block]:
        return list(self._flatten_layers(include_self=False, recursive=False))

    def named_slots(self) -> dict[str, Slot]:
        """Checkpoint tensors of this block and the blocks inside it, by TF name starting with this block's name."""
        out = {f"{self.name}/{path}": slot for path, slot in self._slots.items()}
        for child in self.children():
            out.update({f"{self.name}/{path}": slot for path, slot in child.named_slots().items()})
        return out


class Linear(Block):
    """A lone dense layer (`classifier`, `qa_outputs`): variables `kernel` and `bias`."""

    def __init__(self, *, n_in: int, n_out: int, name: str, std: float) -> None:
        super().__init__(name=name, std=std)
        self.n_in, self.n_out = n_in, n_out

    def build(self, input_shape=None) -> None:
        self.kernel_bias = (
            self.variable("kernel", (self.n_in, self.n_out)),
            self.variable("bias", (self.n_out,), "zeros"),
        )
        super().build(input_shape)

    def forward(self, x: tf.Tensor) -> tf.Tensor:
        return linear(x, self.kernel_bias)


class Embeddings(Block):
    def __init__(
        self,
        *,
        vocab_size: int,
        hidden_size: int,
        max_positions: int,
        type_vocab_size: int,
        eps: float,
        dropout: float,
        absolute: bool,
        std: float,
    ) -> None:
        super().__init__(name="embeddings", std=std)
        self.sizes = (vocab_size, hidden_size, max_positions, type_vocab_size)
        self.eps, self.rate, self.absolute = eps, dropout, absolute

    def build(self, input_shape=None) -> None:
        vocab, hidden, positions, types = self.sizes
        self.word = self.variable("word_embeddings/weight", (vocab, hidden))
        self.token_type = self.variable("token_type_embeddings/embeddings", (types, hidden))
        # Kept for every position type so checkpoints have the same names; only added when `absolute`.
        self.position = self.variable("position_embeddings/embeddings", (positions, hidden))
        self.ln = self.norm_weights("LayerNorm", hidden)
        super().build(input_shape)

    def forward(self, input_ids, token_type_ids, position_ids, inputs_embeds, training: bool) -> tf.Tensor:
        x = tf.gather(self.word, input_ids) if inputs_embeds is None else inputs_embeds
        x = x + tf.gather(self.token_type, token_type_ids)
        if self.absolute:
            x = x + tf.gather(self.position, position_ids)
        return dropout(layer_norm(x, self.ln, self.eps), self.rate, training)


@dataclass
class LayerOutput:
    hidden: tf.Tensor  # (N, hidden) in the call's layout
    probs: tf.Tensor | None
    cross_probs: tf.Tensor | None
    present: tuple[tf.Tensor, ...]  # (k, v[, cross k, cross v]), each (B, H, S, D)


class TransformerLayer(Block):
    """Self-attention (+ cross-attention) + feed-forward, each followed by dropout, residual and LayerNorm."""

    def __init__(
        self,
        *,
        index: int,
        hidden_size: int,
        num_heads: int,
        intermediate_size: int,
        act: str,
        eps: float,
        dropout: float,
        attn_dropout: float,
        relative: str | None,
        max_positions: int,
        cross: bool,
        std: float,
    ) -> None:
        super().__init__(name=f"layer_._{index}", std=std)
        self.hidden, self.heads, self.intermediate = hidden_size, num_heads, intermediate_size
        self.head_dim = hidden_size // num_heads
        self.act, self.eps, self.rate, self.attn_rate = ACTIVATIONS[act], eps, dropout, attn_dropout
        self.relative, self.max_positions, self.has_cross = relative, max_positions, cross

    def build(self, input_shape=None) -> None:
        h = self.hidden
        self.qkv = self.fused_dense_weights([f"attention/self/{n}" for n in ("query", "key", "value")], "qkv", h, h)
        if self.relative is not None:
            shape = (2 * self.max_positions - 1, self.head_dim)
            self.distance = self.variable("attention/self/distance_embedding/embeddings", shape)
        self.attn_out, self.attn_norm = (
            self.dense_weights("attention/output/dense", h, h),
            self.norm_weights("attention/output/LayerNorm", h),
        )
        if self.has_cross:
            self.cq = self.dense_weights("crossattention/self/query", h, h)
            self.ckv = self.fused_dense_weights([f"crossattention/self/{n}" for n in ("key", "value")], "kv", h, h)
            self.cross_out = self.dense_weights("crossattention/output/dense", h, h)
            self.cross_norm = self.norm_weights("crossattention/output/LayerNorm", h)
        self.up = self.dense_weights("intermediate/dense", h, self.intermediate)
        self.down, self.ffn_norm = (
            self.dense_weights("output/dense", self.intermediate, h),
            self.norm_weights("output/LayerNorm", h),
        )
        super().build(input_shape)

    def _heads(self, x: tf.Tensor, parts: int = 1):
        """(B, T, parts * hidden) -> `parts` tensors (B, H, T, D), with one transpose."""
        b, t = dims(x)[:2]
        x = tf.transpose(tf.reshape(x, [b, t, parts, self.heads, self.head_dim]), [2, 0, 3, 1, 4])
        return x[0] if parts == 1 else tf.unstack(x, num=parts)

    def _merge(self, x: tf.Tensor) -> tf.Tensor:
        b, _, t, _ = dims(x)
        return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, t, self.hidden])  # (B, T, hidden)

    def _relative_scores(self, q, k, past_length) -> tf.Tensor:
        """Relative-position scores (B, H, L, S), already divided by sqrt(D); query i sits at past_length + i."""
        q_pos = tf.range(past_length, past_length + tf.shape(q)[2])
        k_pos = tf.range(tf.shape(k)[2])
        emb = tf.gather(self.distance, q_pos[:, None] - k_pos[None, :] + self.max_positions - 1)  # (L, S, D)
        scores = tf.einsum("bhld,lsd->bhls", q, emb)
        if self.relative == "relative_key_query":
            scores = scores + tf.einsum("bhsd,lsd->bhls", k, emb)
        return scores / math.sqrt(self.head_dim)

    def forward(
        self,
        x,
        *,
        layout: Layout,
        bias,
        past,
        past_length,
        head_mask,
        encoder_states,
        cross_bias,
        training: bool,
    ) -> LayerOutput:
        """x is (N, hidden) in `layout`; `past` is this layer's cache tuple or None."""
        q, k, v = self._heads(layout.unpack(linear(x, self.qkv)), parts=3)  # (B, H, T, D) each
        if past is not None:
            k, v = tf.concat([past[0], k], axis=2), tf.concat([past[1], v], axis=2)
        present = (k, v)
        if self.relative is not None:
            rel = self._relative_scores(q, k, past_length)
            bias = rel if bias is None else bias + rel
        ctx, probs = attend(q, k, v, bias, rate=self.attn_rate, training=training, head_mask=head_mask)
        ctx = layout.pack(self._merge(ctx))
        x = layer_norm(dropout(linear(ctx, self.attn_out), self.rate, training) + x, self.attn_norm, self.eps)

        cross_probs = None
        if encoder_states is not None:
            if not self.has_cross:
                raise ValueError(
                    "encoder_hidden_states were given but the model has no cross-attention; "
                    "build it with config.add_cross_attention=True"
                )
            q = self._heads(layout.unpack(linear(x, self.cq)))
            if past is not None and len(past) == 4:
                ck, cv = past[2], past[3]
            else:
                ck, cv = self._heads(linear(encoder_states, self.ckv), parts=2)
            present = present + (ck, cv)
            ctx, cross_probs = attend(
                q, ck, cv, cross_bias, rate=self.attn_rate, training=training, head_mask=head_mask
            )
            ctx = layout.pack(self._merge(ctx))
            x = layer_norm(dropout(linear(ctx, self.cross_out), self.rate, training) + x, self.cross_norm, self.eps)

        y = linear(self.act(linear(x, self.up)), self.down)
        x = layer_norm(dropout(y, self.rate, training) + x, self.ffn_norm, self.eps)
        return LayerOutput(x, probs, cross_probs, present)


class Encoder(Block):
    def __init__(self, *, num_layers: int, std: float, **layer_kwargs) -> None:
        super().__init__(name="encoder", std=std)
        self.layer = [TransformerLayer(index=i, std=std, **layer_kwargs) for i in range(num_layers)]


def _head_masks(head_mask, num_layers: int, num_heads: int) -> list:
    """[H] or [num_layers, H] (1 keeps a head) -> one (1, H, 1, 1) mask per layer."""
    if head_mask is None:
        return [None] * num_layers
    m = tf.cast(head_mask, tf.float32)
    if m.shape.rank == 1:
        m = tf.tile(m[None, :], [num_layers, 1])
    if m.shape.rank != 2 or m.shape[0] != num_layers or m.shape[1] != num_heads:
        raise ValueError(
            f"head_mask must be shaped [num_heads={num_heads}] or [num_layers={num_layers}, num_heads], "
            f"got {tuple(head_mask.shape)}"
        )
    return [m[i][None, :, None, None] for i in range(num_layers)]


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
        self.embeddings = Embeddings(
            vocab_size=c.vocab_size,
            hidden_size=c.hidden_size,
            max_positions=c.max_position_embeddings,
            type_vocab_size=c.type_vocab_size,
            eps=c.layer_norm_eps,
            dropout=c.hidden_dropout_prob,
            absolute=self.absolute,
            std=c.initializer_range,
        )

    def build(self, input_shape=None) -> None:
        if self.add_pooling_layer:
            self.pooler = self.dense_weights("pooler/dense", self.hidden, self.hidden)
        super().build(input_shape)

    def positions(self, input_ids, batch, length, past_length) -> tf.Tensor:
        """RoBERTa counts positions from padding_idx + 1; padding tokens get position padding_idx."""
        if input_ids is None:
            start = self.padding_idx + 1 + past_length
            return tf.tile(tf.range(start, start + length)[None, :], [batch, 1])
        real = tf.cast(tf.not_equal(input_ids, self.padding_idx), tf.int32)
        return (tf.cumsum(real, axis=1) + past_length) * real + self.padding_idx

    def forward(
        self,
        *,
        input_ids=None,
        attention_mask=None,
        token_type_ids=None,
        position_ids=None,
        head_mask=None,
        inputs_embeds=None,
        encoder_hidden_states=None,
        encoder_attention_mask=None,
        past_key_values=None,
        use_cache: bool = False,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        keep=None,
        training: bool = False,
    ) -> TFBaseModelOutputWithPoolingAndCrossAttentions:
        """`keep` (B, T) bool: padded positions that must still be computed (those carrying labels)."""
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
        use_cache = bool(use_cache) and self.is_decoder
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
            cross_bias = cross_attention_bias(encoder_attention_mask)
        head_masks = _head_masks(head_mask, self.num_layers, self.num_heads)
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
