"""The TF building blocks: named variables, embeddings, transformer layers and the encoder.

Every block is a Keras layer that creates its variables in `build()` and names them, or the parts of them, by
the reference's TF names (so `named_slots()` is the checkpoint layout, see `names.py`). Query, key and value are
one (hidden, 3 * hidden) kernel, so self-attention projects with one matmul; the checkpoint names each third.
The model builds every block at once and calls their `forward` methods directly. Blocks get plain numbers (the
config is unpacked once, in `model.MainLayer`) and work on (tokens, hidden) matrices laid out by a `Layout`
(padded or packed, see `layout.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from ..model_facts import activation
from ._keras import keras, tf
from .array_ops import TFOps
from .layout import Layout, dims


# ---------------------------------------------------------------------- plain functions
def linear(x: tf.Tensor, weights: tuple[tf.Variable, tf.Variable]) -> tf.Tensor:
    """x @ kernel + bias for x of any rank >= 2 (one 2-D matmul).

    The bias is added on a (rows, 1, out) view: with a MatMul feeding a BiasAdd directly, TensorFlow's graph
    optimizer fuses the two into a oneDNN op that re-packs the (variable) kernel on every call, slower on
    short inputs and no faster on long ones (docs/performance.md, "Tuned constants"); the view keeps them
    apart."""
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
    def __init__(self, *, vocab_size: int, hidden_size: int, max_positions: int, type_vocab_size: int, eps: float,
                 dropout: float, absolute: bool, std: float) -> None:  # fmt: skip
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

    def __init__(self, *, index: int, hidden_size: int, num_heads: int, intermediate_size: int, act: str, eps: float,
                 dropout: float, attn_dropout: float, relative: str | None, max_positions: int, cross: bool,
                 std: float) -> None:  # fmt: skip
        super().__init__(name=f"layer_._{index}", std=std)
        self.hidden, self.heads, self.intermediate = hidden_size, num_heads, intermediate_size
        self.head_dim = hidden_size // num_heads
        self.act, self.eps, self.rate, self.attn_rate = activation(act, TFOps), eps, dropout, attn_dropout
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
