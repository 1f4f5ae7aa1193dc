"""Keras training: `fit` on the internal loss (labels in the inputs or as y), a Keras loss, and XLA."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras
from tf_testing import assert_tf_close

import roberta
from roberta.modeling_tf.outputs import TFSequenceClassifierOutput
from roberta_testing import TINY

CONFIG = {**TINY, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


def _data(n: int = 16, t: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, 99, (n, t))
    ids[:, 0] = 0
    mask = np.ones_like(ids)
    for row in range(0, n, 3):  # some rows padded
        ids[row, t - 3 :], mask[row, t - 3 :] = 1, 0
    return ids, mask


def test_fit_lowers_the_internal_loss():
    tf_keras.utils.set_random_seed(0)
    model = roberta.TFRobertaForMaskedLM(roberta.RobertaConfig(**CONFIG))
    ids, mask = _data()
    labels = np.where(mask == 1, ids, -100)
    data = tf.data.Dataset.from_tensor_slices({"input_ids": ids, "attention_mask": mask, "labels": labels}).batch(8)
    model.compile(optimizer=tf_keras.optimizers.Adam(3e-3))
    before = model.evaluate(data, verbose=0)
    history = model.fit(data, epochs=6, verbose=0).history["loss"]
    after = model.evaluate(data, verbose=0)
    assert history[-1] < history[0] and after < 0.8 * before, (before, history, after)
    # the loss Keras reports is the model's own loss
    own = np.mean([float(model(batch).loss[0]) for batch in data])
    assert abs(own - after) < 1e-4


def test_fit_with_labels_as_y_and_with_a_keras_loss():
    ids, mask = _data(seed=1)
    labels = (ids[:, 1] % 2).astype(np.int64)
    x = {"input_ids": ids, "attention_mask": mask}
    tf_keras.utils.set_random_seed(0)
    internal = roberta.TFRobertaForSequenceClassification(roberta.RobertaConfig(**CONFIG))
    internal.compile(optimizer=tf_keras.optimizers.Adam(3e-3), metrics=["accuracy"])
    first = internal.fit(x, labels, batch_size=8, epochs=5, verbose=0).history
    assert first["loss"][-1] < first["loss"][0] and "accuracy" in first
    predicted = internal.predict(x, batch_size=8, verbose=0)  # Keras rebuilds our output class
    assert isinstance(predicted, TFSequenceClassifierOutput)
    assert predicted.logits.shape == (16, 2) and predicted.loss is None

    tf_keras.utils.set_random_seed(0)
    keras_loss = roberta.TFRobertaForSequenceClassification(roberta.RobertaConfig(**CONFIG))
    keras_loss.compile(
        optimizer=tf_keras.optimizers.Adam(3e-3), loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    second = keras_loss.fit(x, labels, batch_size=8, epochs=5, verbose=0).history
    # same initial weights, same data: the internal loss and the equivalent Keras loss train alike
    np.testing.assert_allclose(first["loss"], second["loss"], rtol=1e-4)


def test_xla_inference_and_training_step():
    """jit_compile=True runs the padded path (XLA needs static shapes) and gives the packed path's numbers."""
    tf_keras.utils.set_random_seed(0)
    model = roberta.TFRobertaForTokenClassification(roberta.RobertaConfig(**{**CONFIG, "num_hidden_layers": 1}))
    ids, mask = _data(n=4)
    eager = model(input_ids=ids, attention_mask=mask).logits
    xla = tf.function(lambda i, m: model(input_ids=i, attention_mask=m).logits, jit_compile=True)
    assert_tf_close(eager, xla(tf.constant(ids), tf.constant(mask)), mask, "XLA logits")
    labels = np.where(mask == 1, ids % 2, -100)
    model.compile(optimizer=tf_keras.optimizers.Adam(3e-3), jit_compile=True)
    history = model.fit({"input_ids": ids, "attention_mask": mask, "labels": labels}, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
