"""Flax RoBERTa: linen modules behind the reference's `FlaxRoberta*` wrapper classes, sharing the checkpoint
layout with the PyTorch classes.

Importing the package imports no framework: its model classes (one per head of the registry for every model
family, and each family's PreTrainedModel) are imported on first use, by name (`from roberta.modeling_flax
import FlaxRobertaModel`, or `from roberta import ...`). Their weight files are `roberta.checkpoint`'s (NumPy
only), which the PyTorch classes read too.

    spec.py        the config unpacked once (ModelSpec)
    layers.py      linen blocks: embeddings, attention (+ cache), feed-forward, layer stack, pooler
    masks.py       attention masks -> keep masks
    model.py       the trunk (RobertaModule)
    heads.py       task heads (HeadModule, one function per task in HEADS)
    base.py        FlaxRobertaPreTrainedModel: params, the call, init_cache, dtype casts
    classes.py     the RoBERTa family's public classes, one per head of the registry
    bucketing.py   length bucketing of padded batches into a few static shapes
    pretrained.py  from_pretrained / save_pretrained (on roberta.checkpoint)
    generation.py  greedy and sampled decoding
    auto.py        FlaxAutoModel*
    runner.py      the pipelines' runner
    training.py    jitted optax training steps (masked LM, sequence classification)
"""

from .. import model_classes, registry

__all__ = model_classes.model_class_names(registry.framework("flax"))
__getattr__ = model_classes.package_getattr(__name__)
