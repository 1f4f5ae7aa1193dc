"""Training the Flax classes with optax: pure, jitted `train_step(state, batch) -> (state, metrics)` for
masked-LM pretraining and sequence classification, in the style of flax's own examples.

    state = create_train_state(model, optax.adamw(5e-5))
    for batch in batches:          # dicts of arrays: input_ids, attention_mask, labels
        state, metrics = masked_lm_train_step(state, batch)
    model.params = state.params

Dropout is on; its key lives in the state and is split every step. Parameters are data in the state:
nothing is hidden in the model object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax.training import train_state

IGNORE_INDEX = -100


class TrainState(train_state.TrainState):
    dropout_rng: jax.Array


def create_train_state(
    model: Any, optimizer: optax.GradientTransformation, *, params: dict | None = None, seed: int = 0
) -> TrainState:
    """A training state over `model`'s linen module, starting from `params` (default: `model.params`)."""
    return TrainState.create(
        apply_fn=model.module.apply,
        params=model.params if params is None else params,
        tx=optimizer,
        dropout_rng=jax.random.PRNGKey(seed),
    )


def masked_lm_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean cross-entropy over positions whose label is not -100 (the PyTorch classes' loss)."""
    keep = labels != IGNORE_INDEX
    losses = optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), jnp.where(keep, labels, 0))
    return jnp.sum(losses * keep) / jnp.maximum(jnp.sum(keep), 1)


def sequence_classification_loss(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """Mean squared error for one label (regression), else mean cross-entropy over integer labels."""
    logits = logits.astype(jnp.float32)
    if logits.shape[-1] == 1:
        return jnp.mean((logits[:, 0] - labels.astype(jnp.float32)) ** 2)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))


def _step(state: TrainState, batch: dict, loss_of: Callable[[Any, jax.Array], jax.Array]):
    dropout_rng, next_rng = jax.random.split(state.dropout_rng)

    def loss_fn(params):
        out = state.apply_fn(
            {"params": params},
            batch["input_ids"],
            batch.get("attention_mask"),
            batch.get("token_type_ids"),
            deterministic=False,
            rngs={"dropout": dropout_rng},
        )
        return loss_of(out, batch["labels"])

    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads, dropout_rng=next_rng)
    return state, {"loss": loss}


@jax.jit
def masked_lm_train_step(state: TrainState, batch: dict):
    """One optimizer step of masked-LM training; `batch["labels"]` holds -100 where nothing is predicted."""
    return _step(state, batch, lambda out, labels: masked_lm_loss(out.logits, labels))


@jax.jit
def sequence_classification_train_step(state: TrainState, batch: dict):
    """One optimizer step of sequence classification (or regression with one label)."""
    return _step(state, batch, lambda out, labels: sequence_classification_loss(out.logits, labels))
