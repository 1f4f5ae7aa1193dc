"""The sentence-embedding pipeline on sentence-transformers folders: the same vectors as
`SentenceTransformer(folder).encode` (every pooling mode and their combinations, Dense, Normalize, prompts,
max_seq_length, do_lower_case), and clear errors for folders it cannot run."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from pipelines.pipeline_helpers import ST_TEXTS, assert_vectors, save_st_folder

from roberta import pipeline
from roberta.pipelines.feature_extraction import mean_pool
from roberta.pipelines.sentence_folder import read_sentence_folder
from roberta_testing import save_pipeline_checkpoint

MODES = ["cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"]
ALL_MODES = {
    "pooling_mode_cls_token": True,
    "pooling_mode_max_tokens": True,
    "pooling_mode_mean_tokens": True,
    "pooling_mode_mean_sqrt_len_tokens": True,
    "pooling_mode_weightedmean_tokens": True,
    "pooling_mode_lasttoken": True,
}
PROMPTS = {"query": "query: ", "passage": "Passage :  ", "empty": ""}


@pytest.fixture(scope="module")
def trunk(tmp_path_factory, roberta_base_dir):
    """A tiny random RobertaModel checkpoint with the real roberta-base tokenizer."""
    return save_pipeline_checkpoint(tmp_path_factory.mktemp("st-trunk"), "base", "RobertaModel", 11, roberta_base_dir)


_PIPES: dict = {}


@pytest.fixture(autouse=True)
def _fresh_pipelines():
    yield
    _PIPES.clear()


def ours(folder, texts=ST_TEXTS, **options):
    """Our sentence vectors of `texts` (batched 2 at a time), one pipeline per folder."""
    if folder not in _PIPES:
        _PIPES[folder] = pipeline("sentence-embedding", model=str(folder), batch_size=2)
    pipe = _PIPES[folder]
    return torch.stack(pipe(list(texts), return_tensors=True, **options)).numpy()


@pytest.mark.parametrize("mode", MODES)
def test_each_pooling_mode_matches_encode(tmp_path, trunk, mode):
    st = save_st_folder(tmp_path / "st", trunk, pooling=mode)
    assert_vectors(ours(tmp_path / "st"), st.encode(ST_TEXTS), mode)


@pytest.mark.parametrize(
    "modes",
    [
        ["lasttoken", "max", "cls"],  # 5.x: a list, concatenated in its order
        {"pooling_mode_mean_tokens": True, "pooling_mode_lasttoken": True, "pooling_mode_cls_token": True},
        ALL_MODES,  # the older flags: concatenated in the library's fixed order
    ],
)
def test_combined_modes_concatenate_in_the_librarys_order(tmp_path, trunk, modes):
    st = save_st_folder(tmp_path / "st", trunk, pooling=modes)
    got = ours(tmp_path / "st")
    assert got.shape[1] == 32 * len(modes)
    assert_vectors(got, st.encode(ST_TEXTS), str(modes))


@pytest.mark.parametrize(
    "pooling, dense, normalize",
    [
        ("mean", ((16, torch.nn.Tanh()),), False),
        ("cls", ((16, torch.nn.Tanh()),), True),
        ("max", ((24, torch.nn.GELU()), (8, torch.nn.Identity())), True),
        ("weightedmean", (), True),
    ],
)
def test_dense_and_normalize_modules(tmp_path, trunk, pooling, dense, normalize):
    st = save_st_folder(tmp_path / "st", trunk, pooling=pooling, dense=dense, normalize=normalize)
    got = ours(tmp_path / "st")
    assert_vectors(got, st.encode(ST_TEXTS), f"{pooling} {dense} {normalize}")
    if normalize:
        assert torch.allclose(torch.from_numpy(got).norm(dim=-1), torch.ones(len(ST_TEXTS)), atol=1e-5)


def test_dense_weights_in_pytorch_model_bin(tmp_path, trunk):
    st = save_st_folder(tmp_path / "st", trunk, dense=((12, torch.nn.ReLU()),), safe_serialization=False)
    assert not list((tmp_path / "st").rglob("*.safetensors"))  # the folder holds .bin weights only
    assert_vectors(ours(tmp_path / "st"), st.encode(ST_TEXTS))


def test_normalize_option_works_as_normalize_embeddings(tmp_path, trunk):
    plain = save_st_folder(tmp_path / "plain", trunk, pooling="cls")
    assert_vectors(ours(tmp_path / "plain", normalize=True), plain.encode(ST_TEXTS, normalize_embeddings=True))
    assert_vectors(ours(tmp_path / "plain", normalize=False), plain.encode(ST_TEXTS, normalize_embeddings=False))
    # a Normalize module is part of the model: normalize=False does not undo it, as in sentence-transformers
    normed = save_st_folder(tmp_path / "normed", trunk, pooling="cls", normalize=True)
    assert_vectors(ours(tmp_path / "normed", normalize=False), normed.encode(ST_TEXTS, normalize_embeddings=False))


@pytest.mark.parametrize("pooling, include_prompt", [("mean", True), ("mean", False), (ALL_MODES, False)])
def test_prompts(tmp_path, trunk, include_prompt, pooling):
    st = save_st_folder(
        tmp_path / "st",
        trunk,
        pooling=pooling,
        include_prompt=include_prompt,
        prompts=PROMPTS,
        default_prompt_name="query",
    )
    folder = tmp_path / "st"
    assert_vectors(ours(folder), st.encode(ST_TEXTS), "default prompt")
    for name in PROMPTS:
        assert_vectors(ours(folder, prompt_name=name), st.encode(ST_TEXTS, prompt_name=name), name)
    custom = "Represent this sentence for searching: "
    assert_vectors(ours(folder, prompt=custom), st.encode(ST_TEXTS, prompt=custom), "prompt=")
    # prompt wins over prompt_name, as in sentence-transformers
    assert_vectors(ours(folder, prompt=custom, prompt_name="passage"), st.encode(ST_TEXTS, prompt=custom))
    with pytest.raises(ValueError, match="prompt_name 'nope' is not one of the folder's prompts"):
        ours(folder, prompt_name="nope")


def test_a_prompt_left_out_of_pooling_changes_the_vector(tmp_path, trunk):
    save_st_folder(tmp_path / "in", trunk, include_prompt=True, prompts=PROMPTS)
    save_st_folder(tmp_path / "out", trunk, include_prompt=False, prompts=PROMPTS)
    with_prompt, without = ours(tmp_path / "in", prompt_name="query"), ours(tmp_path / "out", prompt_name="query")
    assert abs(with_prompt - without).max() > 1e-3  # the option is not ignored


def test_max_seq_length_truncates_when_asked(tmp_path, trunk):
    """encode always cuts at max_seq_length; we cut when asked (truncation=True) and refuse otherwise."""
    pooling = ["lasttoken", "mean"]
    st = save_st_folder(tmp_path / "st", trunk, pooling=pooling, max_seq_length=8, prompts=PROMPTS)
    pipe = pipeline("sentence-embedding", model=str(tmp_path / "st"))
    assert pipe.max_length == 8
    n = len(pipe.tokenizer(ST_TEXTS[-1])["input_ids"])
    with pytest.raises(ValueError, match=rf"holds {n} tokens, more than the model's 8: pass truncation=True"):
        pipe(ST_TEXTS[-1])
    assert_vectors(ours(tmp_path / "st", truncation=True), st.encode(ST_TEXTS))
    query = ours(tmp_path / "st", prompt_name="query", truncation=True)
    assert_vectors(query, st.encode(ST_TEXTS, prompt_name="query"))
    long = save_st_folder(tmp_path / "long", trunk, pooling=pooling)
    cut = ours(tmp_path / "st", ST_TEXTS[-1:], truncation=True)
    assert abs(ours(tmp_path / "long", ST_TEXTS[-1:]) - cut).max() > 1e-3
    assert_vectors(ours(tmp_path / "long", ST_TEXTS[-1:]), long.encode(ST_TEXTS[-1:]))


def test_a_folder_saved_before_5x(tmp_path, trunk):
    """The older layout (module types under sentence_transformers.models, pooling_mode_* flags,
    max_seq_length and do_lower_case in sentence_bert_config.json), as sentence-transformers still reads it."""
    from sentence_transformers import SentenceTransformer

    pooling = ["max", "lasttoken"]
    save_st_folder(
        tmp_path / "st", trunk, pooling=pooling, dense=((16, torch.nn.Tanh()),), normalize=True, prompts=PROMPTS
    )
    folder = tmp_path / "st"
    modules = json.loads((folder / "modules.json").read_text())
    for m in modules:
        m["type"] = "sentence_transformers.models." + m["type"].rsplit(".", 1)[-1]
    (folder / "modules.json").write_text(json.dumps(modules))
    legacy = {"word_embedding_dimension": 32, "include_prompt": False}
    legacy |= {key: key in ("pooling_mode_max_tokens", "pooling_mode_lasttoken") for key in ALL_MODES}
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(legacy))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 8, "do_lower_case": True}))
    description = read_sentence_folder(folder)
    assert description.pooling.modes == tuple(pooling) and description.max_seq_length == 8
    assert description.do_lower_case
    st = SentenceTransformer(str(folder), device="cpu")
    # max_seq_length 8: encode cuts there, we when asked
    assert_vectors(ours(folder, truncation=True), st.encode(ST_TEXTS))
    assert_vectors(ours(folder, prompt_name="passage", truncation=True), st.encode(ST_TEXTS, prompt_name="passage"))


def test_do_lower_case(tmp_path, trunk):
    st = save_st_folder(tmp_path / "st", trunk, do_lower_case=True, prompts=PROMPTS, include_prompt=False)
    assert read_sentence_folder(tmp_path / "st").do_lower_case
    assert_vectors(ours(tmp_path / "st"), st.encode(ST_TEXTS))
    assert_vectors(ours(tmp_path / "st", prompt_name="passage"), st.encode(ST_TEXTS, prompt_name="passage"))


def test_the_folder_description(tmp_path, trunk):
    st = save_st_folder(
        tmp_path / "st",
        trunk,
        pooling={"pooling_mode_cls_token": True, "pooling_mode_max_tokens": True},
        dense=((16, torch.nn.Tanh()),),
        normalize=True,
        max_seq_length=20,
        prompts=PROMPTS,
        default_prompt_name="passage",
    )
    folder = read_sentence_folder(tmp_path / "st")
    assert folder.pooling.modes == ("cls", "max") and folder.pooling.name == "cls+max"
    assert [type(m).__name__ for m in folder.modules] == ["Pooling", "Dense", "Normalize"]
    assert folder.modules[1].activation == "Tanh" and folder.modules[1].weight.shape == (16, 64)
    # 5.x keeps max_seq_length as the tokenizer's model_max_length, which the pipeline honours
    assert folder.max_seq_length is None and pipeline("sentence-embedding", model=str(tmp_path / "st")).max_length == 20
    assert folder.prompts == st.prompts and folder.default_prompt_name == "passage"
    assert folder.similarity_fn_name == "cosine"
    assert folder.output_size(32) == 16
    with pytest.raises(ValueError, match="pools 32-wide token states, but the model's hidden size is 48"):
        folder.output_size(48)


def test_a_plain_checkpoint_keeps_mean_pooling_and_normalisation(trunk):
    assert read_sentence_folder(trunk) is None
    pipe = pipeline("sentence-embedding", model=str(trunk))
    features = pipeline("feature-extraction", model=str(trunk))("  hello world", return_tensors=True)
    mean = mean_pool(features, torch.ones(features.shape[:2]))[0]
    assert torch.allclose(pipe("  hello world", return_tensors=True), torch.nn.functional.normalize(mean, dim=-1))
    assert torch.allclose(pipe("  hello world", return_tensors=True, normalize=False), mean)
    prompted = pipeline("feature-extraction", model=str(trunk))("query:   hello world", return_tensors=True)
    expected = torch.nn.functional.normalize(mean_pool(prompted, torch.ones(prompted.shape[:2]))[0], dim=-1)
    assert torch.allclose(pipe("  hello world", prompt="query: ", return_tensors=True), expected)
    with pytest.raises(ValueError, match="prompt_name='query' needs the prompts of a sentence-transformers folder"):
        pipe("x", prompt_name="query")


# ---------------------------------------------------------------------- folders we cannot run
def _edit_json(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.fixture
def folder(tmp_path, trunk):
    save_st_folder(tmp_path / "st", trunk, dense=((16, torch.nn.Tanh()),), normalize=True)
    return tmp_path / "st"


def _dense_dir(folder):
    entry = next(m for m in json.loads((folder / "modules.json").read_text()) if m["type"].endswith("Dense"))
    return folder / entry["path"]


def test_an_unknown_module_is_an_error_naming_it(folder):
    modules = json.loads((folder / "modules.json").read_text())
    modules.append({"idx": 9, "name": "9_LSTM", "path": "9_LSTM", "type": "sentence_transformers.models.LSTM"})
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ValueError, match="module '9_LSTM' is a sentence_transformers.models.LSTM"):
        pipeline("sentence-embedding", model=str(folder))


def test_an_activation_outside_torch_nn_is_refused(folder):
    _edit_json(_dense_dir(folder) / "config.json", activation_function="os.system")
    with pytest.raises(ValueError, match="activation_function 'os.system' is not one this library runs"):
        read_sentence_folder(folder)


def test_dense_weights_of_the_wrong_shape(folder):
    _edit_json(_dense_dir(folder) / "config.json", out_features=17)
    with pytest.raises(ValueError, match=r"linear.weight must be shaped \(17, 32\)"):
        read_sentence_folder(folder)


def test_dense_weights_that_do_not_chain(folder):
    _edit_json(_dense_dir(folder) / "config.json", in_features=16)
    (_dense_dir(folder) / "model.safetensors").unlink()
    torch.save(
        {"linear.weight": torch.zeros(16, 16), "linear.bias": torch.zeros(16)}, _dense_dir(folder) / "pytorch_model.bin"
    )
    with pytest.raises(ValueError, match="a Dense module takes 16 features, but it is given 32"):
        pipeline("sentence-embedding", model=str(folder))


class _Payload:
    ran = False

    def __reduce__(self):
        return (_mark_ran, ())


def _mark_ran():
    _Payload.ran = True
    return torch.zeros(16)


def test_a_pickled_object_in_dense_weights_is_never_run(folder):
    dense_dir = _dense_dir(folder)
    (dense_dir / "model.safetensors").unlink()
    torch.save({"linear.weight": torch.zeros(16, 32), "linear.bias": _Payload()}, dense_dir / "pytorch_model.bin")
    with pytest.raises(ValueError, match="state dict of tensors only"):
        read_sentence_folder(folder)
    assert not _Payload.ran


def test_a_bad_pooling_config(folder):
    config = folder / "1_Pooling" / "config.json"
    for mode in ("median", [], ["mean", 3]):
        _edit_json(config, pooling_mode=mode)
        with pytest.raises(ValueError, match="pooling_mode must be one of"):
            read_sentence_folder(folder)
    _edit_json(config, pooling_mode=None, pooling_mode_mean_tokens="yes")
    with pytest.raises(ValueError, match="pooling_mode_mean_tokens must be a bool"):
        read_sentence_folder(folder)


def test_a_default_prompt_that_is_not_a_prompt(folder):
    _edit_json(folder / "config_sentence_transformers.json", default_prompt_name="nope")
    with pytest.raises(ValueError, match="default_prompt_name 'nope' is not one of the prompts"):
        read_sentence_folder(folder)


def test_a_transformer_in_a_subfolder_is_refused(folder):
    modules = json.loads((folder / "modules.json").read_text())
    modules[0]["path"] = "0_Transformer"
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ValueError, match="the transformer lives in the subfolder '0_Transformer'"):
        read_sentence_folder(folder)


def test_a_missing_pooling_module(folder):
    modules = [m for m in json.loads((folder / "modules.json").read_text()) if not m["type"].endswith("Pooling")]
    (folder / "modules.json").write_text(json.dumps(modules))
    shutil.rmtree(folder / "1_Pooling")
    with pytest.raises(ValueError, match="must hold one Pooling module, it holds 0"):
        read_sentence_folder(folder)
