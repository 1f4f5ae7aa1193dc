"""Internal losses of the TF heads, equal to the reference's TF losses, shapes included.

Token-level losses (masked / causal LM, token classification) are one mean over the counted positions, shaped
(1,); sentence-level losses (sequence classification, multiple choice, question answering) are per example,
shaped (batch,), whose mean is the PyTorch loss. Keras reduces either to a scalar in `fit`.
"""

from __future__ import annotations

from ..config import RobertaConfig
from ..model_facts import resolve_problem_type
from ._keras import tf


def _cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def _masked_mean(labels: tf.Tensor, logits: tf.Tensor, counted: tf.Tensor) -> tf.Tensor:
    per_token = _cross_entropy(tf.maximum(labels, 0), logits)  # ignored labels must still be valid indices
    counted = tf.cast(counted, per_token.dtype)
    return tf.reshape(tf.reduce_sum(per_token * counted) / tf.reduce_sum(counted), (1,))


def masked_lm_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Cross-entropy over labels != -100."""
    return _masked_mean(labels, logits, tf.not_equal(labels, -100))


def causal_lm_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Next-token cross-entropy: position t predicts label t + 1 (labels != -100)."""
    return masked_lm_loss(labels[:, 1:], logits[:, :-1])


def token_classification_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Cross-entropy over labels >= 0 (the reference ignores -100 and the older -1)."""
    return _masked_mean(labels, logits, labels >= 0)


def multiple_choice_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    return _cross_entropy(tf.reshape(labels, [-1]), logits)


def sequence_classification_loss(config: RobertaConfig, labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Regression (mean squared error), single-label (cross-entropy) or multi-label (binary cross-entropy) loss
    per example; the problem type is inferred and recorded in `config` as PyTorch does (the reference's TF
    classes know only the first two, chosen by num_labels)."""
    n = config.num_labels
    problem_type = resolve_problem_type(config, integer_labels=labels.dtype.is_integer)
    if problem_type == "regression":
        error = logits - tf.reshape(tf.cast(labels, logits.dtype), [-1, n])
        return tf.reduce_mean(tf.square(error), axis=-1)
    if problem_type == "single_label_classification":
        return _cross_entropy(tf.reshape(labels, [-1]), logits)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(labels, logits.dtype), logits=logits)
    return tf.reduce_mean(bce, axis=-1)


def question_answering_loss(start_positions, end_positions, start_logits, end_logits) -> tf.Tensor:
    """Per example, (start cross-entropy + end cross-entropy) / 2. Positions are clamped to [0, seq] and a
    position past the end does not count, as in PyTorch (the reference's TF classes fail on them)."""
    length = tf.shape(start_logits)[1]

    def term(positions, logits):
        positions = tf.clip_by_value(tf.cast(tf.reshape(positions, [-1]), tf.int32), 0, length)
        counted = positions < length
        loss = _cross_entropy(tf.where(counted, positions, 0), logits)
        return loss * tf.cast(counted, loss.dtype)

    return (term(start_positions, start_logits) + term(end_positions, end_logits)) / 2.0
