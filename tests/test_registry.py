"""The registry is the one place for each fact about heads and model families: every row's class exists in each
framework under the derived name, the Auto classes map to them, the reference (transformers 4.56.2) has the same
names and the same Auto mapping, every pipeline task is one the reference's pipeline() accepts, the derived
task tables and the command line's --help agree with it, and a family is added by adding a row.

TensorFlow and JAX are not imported here: their classes are found in their modules' source (the TF and Flax
parity and Auto tests load each of them); the reference's pipeline table and RoBERTa module (whose import pulls
in TensorFlow and JAX) are read from their source too."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
import transformers

import roberta
from roberta import model_classes, registry
from roberta.cli import main as cli
from roberta.model_facts import outputs as model_facts_outputs
from roberta_testing import TINY

# pipeline tasks the reference lacks (multiple-choice has no pipeline at all)
LACKING = {"sentence-embedding", "rerank"}


def _source(module: str) -> ast.Module:
    """A module's syntax tree, read without running it (its parent packages are imported)."""
    return ast.parse(Path(importlib.util.find_spec(module).origin).read_text())


def _classes(module: str) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in _source(module).body if isinstance(n, ast.ClassDef)}


def _made_outputs(module: str) -> set[str]:
    """The output class names a framework's outputs module makes: `make_outputs(__name__, Base, TABLE,
    prefix=...)` over a table of `roberta.model_facts.outputs`."""
    call = next(
        n
        for n in ast.walk(_source(module))
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "make_outputs"
    )
    table = getattr(model_facts_outputs, call.args[2].id)
    prefix = next((k.value.value for k in call.keywords if k.arg == "prefix"), "")
    return {prefix + stem for stem in table}


def _literal(module: str, name: str):
    """The value of a module-level `name = <literal>` of a module's source."""
    for node in _source(module).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value
    raise AssertionError(f"{module} assigns no {name}")


def test_names_are_formulas():
    token = registry.head("ForTokenClassification")
    tf, flax = registry.framework("tf"), registry.framework("flax")
    assert registry.class_name(token) == "RobertaForTokenClassification"
    assert registry.class_name(token, registry.ROBERTA, flax) == "FlaxRobertaForTokenClassification"
    assert registry.auto_name(token, tf) == "TFAutoModelForTokenClassification"
    assert registry.auto_name(registry.head("Model"), flax) == "FlaxAutoModel"
    assert registry.pretrained_name(registry.ROBERTA, tf) == "TFRobertaPreTrainedModel"
    assert registry.parse_class_name("FlaxRobertaForTokenClassification") == (flax, registry.ROBERTA, token)
    assert registry.parse_class_name("TFRobertaPreTrainedModel") == (tf, registry.ROBERTA, None)
    assert registry.parse_class_name("RobertaForNothing") is None and registry.parse_class_name("Roberta") is None


def test_every_row_has_a_class_in_each_framework_and_an_output_class():
    for fw in registry.FRAMEWORKS:
        assert registry.pretrained_name(registry.ROBERTA, fw) in _classes(fw.pretrained_module), fw.name
        outputs = _made_outputs(fw.outputs_module)
        for row in registry.HEADS:
            defined = _classes(fw.base_module if row.is_base else fw.heads_module)
            assert registry.class_name(row, registry.ROBERTA, fw) in defined, (fw.name, row.stem)
            assert registry.output_name(row, fw) in outputs, (fw.name, row.output)
    for row in registry.HEADS:
        for p in row.pipelines:
            assert p.class_name in _classes(f"roberta.pipelines.{p.module_name}"), p.task


@pytest.mark.parametrize("row", registry.HEADS, ids=lambda r: r.stem)
def test_pytorch_class_auto_class_outputs_and_labels(row):
    name = registry.class_name(row)
    cls = getattr(roberta, name)
    assert cls.__name__ == name and cls is model_classes.model_class(name) is getattr(roberta.modeling, name)
    assert getattr(roberta, registry.auto_name(row)).model_class() is cls
    model = cls(roberta.RobertaConfig(**{**TINY, **row.config}))
    ids = torch.tensor([[0, 5, 6, 2]] * (2 if row.choices else 1))
    out = model.eval()(input_ids=ids[None] if row.choices else ids)
    assert type(out).__name__ == registry.output_name(row)
    assert set(row.fields) <= set(out.keys())
    assert {f.name for f in dataclasses.fields(type(out))} == {
        f.name for f in dataclasses.fields(getattr(transformers.modeling_outputs, row.output))
    }  # (the order of ours is that of the reference's return_dict=False tuples)
    ours = inspect.signature(cls.forward).parameters
    reference = _classes("transformers.models.roberta.modeling_roberta")[name]
    forward = next(n for n in reference.body if isinstance(n, ast.FunctionDef) and n.name == "forward")
    assert set(row.labels) <= set(ours) and set(row.labels) <= {a.arg for a in forward.args.args}
    assert set(row.onnx.names) <= set(row.fields) | {"last_hidden_state"}


def test_reference_has_the_same_classes_and_auto_mapping():
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    from transformers.models.auto.tokenization_auto import TOKENIZER_MAPPING_NAMES

    public = set(dir(transformers))
    for fam in registry.FAMILIES:
        assert CONFIG_MAPPING_NAMES[fam.model_type] == fam.config_class_name
        assert TOKENIZER_MAPPING_NAMES[fam.model_type] == fam.tokenizer_names
        for fw in registry.FRAMEWORKS:
            has = (fam.model_type, fw.name) != ("camembert", "flax")  # transformers 4.56.2 has no FlaxCamembert*
            assert (registry.pretrained_name(fam, fw) in public) is has, (fam, fw)
            for row in registry.HEADS:
                name, auto = registry.class_name(row, fam, fw), registry.auto_name(row, fw)
                assert (name in public) is has and auto in public, name
                assert getattr(transformers, auto)._model_mapping._model_mapping.get(fam.model_type) == (
                    name if has else None
                )


def test_the_public_names_are_the_registry_s():
    names = model_classes.exports()
    assert set(names) <= set(roberta.__all__)
    for fw in registry.FRAMEWORKS:
        for row in registry.HEADS:
            assert names[registry.class_name(row, registry.ROBERTA, fw)] == fw.package
            assert names[registry.auto_name(row, fw)] == fw.auto_module
    assert set(roberta.modeling.__all__) >= set(model_classes.model_class_names(registry.PT))


def test_pipeline_tasks_and_aliases_are_the_reference_s():
    ref_tasks = {k.value for k in _literal("transformers.pipelines", "SUPPORTED_TASKS").keys}
    ref_aliases = ast.literal_eval(_literal("transformers.pipelines", "TASK_ALIASES"))
    ours = [p.task for row in registry.HEADS for p in row.pipelines]
    assert LACKING <= set(ours) and not LACKING & ref_tasks  # the exceptions are real
    assert set(ours) - LACKING <= ref_tasks
    assert "multiple-choice" not in ref_tasks and registry.pipeline_of("multiple-choice") is None
    for alias, task in ref_aliases.items():
        if task in ours:
            assert registry.TASK_ALIASES[alias] == task


def test_task_tables_derive_from_the_registry():
    from roberta.onnx import tasks as onnx_tasks
    from roberta.pipelines import SUPPORTED_TASKS, resolve_task
    from roberta.serve.backend import ARCHITECTURE_TASKS
    from roberta.training.finetuning import FINETUNE_TASKS, resolve_finetune_task

    names = registry.task_names()
    assert len(names) == len(set(names)) and not set(names) & set(registry.TASK_ALIASES)
    assert list(SUPPORTED_TASKS) == [p.task for row in registry.HEADS for p in row.pipelines]
    assert list(FINETUNE_TASKS) == [row.task for row in registry.HEADS if row.finetune]
    assert ARCHITECTURE_TASKS == {
        registry.class_name(row, fam): row.task for fam in registry.FAMILIES for row in registry.HEADS if row.served
    }
    assert onnx_tasks.TASK_NAMES == names
    for row in registry.HEADS:
        for alias in (row.task, *row.aliases):
            assert onnx_tasks.resolve(alias) == (row.task, registry.class_name(row))
            if row.finetune:
                assert resolve_finetune_task(alias) == row.task
            if row.pipelines:
                assert resolve_task(alias) == row.task
    assert resolve_finetune_task("causal-lm") == resolve_task("clm") == "text-generation"  # older names
    with pytest.raises(ValueError, match="Unknown task 'multiple-choice'; choose one of fill-mask"):
        resolve_task("multiple-choice")  # a head without a pipeline
    with pytest.raises(ValueError, match=r"unknown fine-tuning task 'ner2'.*token-classification \(or ner\)"):
        resolve_finetune_task("ner2")


def _help(capsys, *command: str) -> str:
    with pytest.raises(SystemExit) as done:
        cli([*command, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # undo argparse's wrapping at hyphens


@pytest.mark.parametrize(
    "command,tasks",
    [
        (("export",), registry.task_names()),
        (("export", "onnx"), registry.task_names()),
        (("finetune",), [row.task for row in registry.HEADS if row.finetune]),
        (("run",), [p.task for row in registry.HEADS for p in row.pipelines]),
        (("serve",), [p.task for row in registry.HEADS for p in row.pipelines if row.served]),
    ],
)
def test_help_lists_every_task_with_its_aliases(capsys, command, tasks):
    text = _help(capsys, *command)
    for task in tasks:
        assert registry.describe_tasks([task]) in text, (command, task)


def test_registry_and_auto_classes_import_no_framework():
    code = (
        "import sys, roberta, roberta.registry, roberta.model_classes, roberta.auto\n"
        "import roberta.modeling_tf, roberta.modeling_tf.auto, roberta.modeling_flax, roberta.modeling_flax.auto\n"
        "roberta.AutoModelForMaskedLM, roberta.TFAutoModel, roberta.FlaxAutoModelForQuestionAnswering\n"
        "import roberta.checkpoint, roberta.checkpoint.names\n"
        "assert not {'torch', 'tensorflow', 'jax'} & set(sys.modules), set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(Path(roberta.__file__).parents[1])})


@pytest.fixture
def test_family(monkeypatch):
    """A made-up family row ("roberta-test", class prefix TestRoberta) with its own config and tokenizer
    classes in a module of its own: what a new family adds."""
    from roberta.config import RobertaConfig
    from roberta.tokenizer import RobertaTokenizer, RobertaTokenizerFast

    module = types.ModuleType("test_family_module")
    module.TestRobertaConfig = type("TestRobertaConfig", (RobertaConfig,), {"model_type": "roberta-test"})
    module.TestRobertaTokenizer = type("TestRobertaTokenizer", (RobertaTokenizer,), {})
    module.TestRobertaTokenizerFast = type("TestRobertaTokenizerFast", (RobertaTokenizerFast,), {})
    monkeypatch.setitem(sys.modules, module.__name__, module)
    fam = registry.Family("roberta-test", "TestRoberta", module.__name__, module.__name__)
    monkeypatch.setattr(registry, "FAMILIES", (*registry.FAMILIES, fam))
    monkeypatch.setattr(model_classes, "_DERIVED", {})
    return fam, module


def test_a_family_row_is_all_a_family_needs(test_family, tmp_path, roberta_base_dir):
    fam, module = test_family
    cls = roberta.modeling.TestRobertaForMaskedLM  # derived on first use, then kept
    assert cls is model_classes.model_class("TestRobertaForMaskedLM") and cls.__module__ == "roberta.modeling"
    assert issubclass(cls, roberta.RobertaForMaskedLM) and issubclass(cls, roberta.modeling.TestRobertaPreTrainedModel)
    assert cls.config_class is module.TestRobertaConfig
    assert model_classes.exports()["TFTestRobertaModel"] == "roberta.modeling_tf"
    assert model_classes.exports()["TestRobertaTokenizerFast"] == module.__name__

    config = roberta.AutoConfig.for_model("roberta-test", **TINY)
    assert type(config) is module.TestRobertaConfig
    model = roberta.AutoModelForMaskedLM.from_config(config)
    assert type(model) is cls
    torch.manual_seed(0)
    plain = roberta.RobertaForMaskedLM(roberta.RobertaConfig(**TINY)).eval()
    model.load_state_dict(plain.state_dict())  # the same network: the same weights, the same numbers
    ids = torch.tensor([[0, 5, 6, 7, 2]])
    assert torch.equal(model.eval()(input_ids=ids).logits, plain(input_ids=ids).logits)

    for name in ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(roberta_base_dir / name, tmp_path / name)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "roberta-test"}))
    assert type(roberta.AutoTokenizer.from_pretrained(tmp_path)) is module.TestRobertaTokenizerFast
    assert type(roberta.AutoTokenizer.from_pretrained(tmp_path, use_fast=False)) is module.TestRobertaTokenizer
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ValueError, match="holds a 'bert' model; .* load only 'roberta', .*'roberta-test'"):
        roberta.AutoModel.from_pretrained(tmp_path)
