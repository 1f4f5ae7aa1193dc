"""The jitted optax training steps: the masked-LM loss is the PyTorch loss, and a few steps lower it."""

from __future__ import annotations

import jax
import numpy as np
import optax
import torch

import roberta
from flax_testing import mixed_batch, tree_max_diff
from roberta.modeling_flax import training
from roberta_testing import TOL


def test_masked_lm_loss_equals_pytorch_and_training_lowers_it(reference_checkpoints):
    path = reference_checkpoints["RobertaForMaskedLM"]
    ours = roberta.FlaxRobertaForMaskedLM.from_pretrained(path)
    torch_model = roberta.RobertaForMaskedLM.from_pretrained(path)
    ids, mask = mixed_batch()
    labels = np.where(mask == 1, ids, -100)
    labels[:, ::3] = -100
    with torch.no_grad():
        want = torch_model(
            input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask), labels=torch.from_numpy(labels)
        ).loss.item()
    eval_loss = float(training.masked_lm_loss(ours(ids, mask).logits, labels))
    assert abs(eval_loss - want) <= TOL

    state = training.create_train_state(ours, optax.adam(1e-2))
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    losses = []
    for _ in range(4):
        state, metrics = training.masked_lm_train_step(state, batch)
        losses.append(float(metrics["loss"]))
    assert abs(losses[0] - eval_loss) > 1e-6  # dropout is on in training
    assert losses[-1] < losses[0]
    assert int(state.step) == 4


def test_sequence_classification_training_lowers_the_loss(reference_checkpoints):
    model = roberta.FlaxRobertaForSequenceClassification.from_pretrained(
        reference_checkpoints["RobertaForSequenceClassification"]
    )
    ids, mask = mixed_batch()
    batch = {"input_ids": ids, "attention_mask": mask, "labels": np.array([0, 1, 1, 0])}
    state = training.create_train_state(model, optax.adam(1e-2), seed=1)
    losses = []
    for _ in range(10):  # four steps move a tiny model's loss less than dropout's noise does; ten halve it
        state, metrics = training.sequence_classification_train_step(state, batch)
        losses.append(float(metrics["loss"]))
    assert losses[-1] < 0.5 * losses[0]
    model.params = state.params  # trained parameters go back into the model
    assert float(training.sequence_classification_loss(model(ids, mask).logits, batch["labels"])) < losses[0]


def test_gradient_checkpointing_gives_the_same_gradients(reference_checkpoints):
    path = reference_checkpoints["RobertaForMaskedLM"]
    plain = roberta.FlaxRobertaForMaskedLM.from_pretrained(path)
    remat = roberta.FlaxRobertaForMaskedLM.from_pretrained(path, gradient_checkpointing=True)
    ids, mask = mixed_batch(t=12)
    labels = np.where(mask == 1, ids, -100)

    def grads(model):
        loss = lambda p: training.masked_lm_loss(model(ids, mask, params=p).logits, labels)  # noqa: E731
        return jax.jit(jax.grad(loss))(model.params)

    assert tree_max_diff(grads(plain), grads(remat)) < 1e-6
