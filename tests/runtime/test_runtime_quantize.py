"""agent_runtime.quantize: CPU quantisation of a tiny model built here, refusals, choose_smallest."""

from __future__ import annotations

import sys

import pytest

from agent_runtime.quantize import QuantizationUnavailable, choose_smallest, load_quantized, quantize_model


TORCH = pytest.mark.slow  # builds and runs torch models: torch's import alone takes seconds of a quick run


def tiny_model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64)).eval()


@TORCH
def test_footprint_counts_parameters_and_buffers():
    torch = pytest.importorskip("torch")
    from agent_runtime.quantize import footprint_bytes

    model = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.BatchNorm1d(10))
    params = 10 * 10 + 10 + 10 + 10  # linear weight + bias, batchnorm weight + bias
    buffers = 10 + 10  # running mean + var (float32) ...
    assert footprint_bytes(model) == (params + buffers) * 4 + 8  # ... + num_batches_tracked (int64)
    tied = torch.nn.Linear(8, 8, bias=False)
    shared = torch.nn.Sequential(tied, tied)
    assert footprint_bytes(shared) == 8 * 8 * 4


@TORCH
def test_cpu_dynamic_int8_shrinks_the_model_and_still_runs():
    torch = pytest.importorskip("torch")
    model = tiny_model()
    x = torch.randn(4, 256)
    expected = model(x)
    result = quantize_model(model)
    assert result.backend == "dynamic-int8"
    assert result.bytes_before == (256 * 256 + 256 + 256 * 64 + 64) * 4
    assert result.bytes_after < result.bytes_before
    assert result.ratio < 0.35  # int8 weights (+ fp32 biases and scales): about a quarter
    got = result.model(x)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, atol=0.05)


@TORCH
def test_fp16_halves_the_model():
    pytest.importorskip("torch")
    result = quantize_model(tiny_model(), "fp16")
    assert result.bytes_after * 2 == result.bytes_before


@TORCH  # torch is imported before bitsandbytes is looked for
def test_missing_bitsandbytes_is_refused_with_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # an import of it now fails like a missing package
    with pytest.raises(QuantizationUnavailable) as info:
        load_quantized("facebook/nllb-200-distilled-600M", "bnb-8bit")
    error = info.value
    assert "bitsandbytes" in error.missing
    assert "bitsandbytes" in str(error) and "pip install 'agent-graph-runtime[gpu]'" in str(error)


def test_missing_torch_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(QuantizationUnavailable, match=r"missing package\(s\): torch"):
        quantize_model(object(), "fp16")


@TORCH
def test_missing_torchao_names_its_pip_command(monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setitem(sys.modules, "torchao", None)
    with pytest.raises(QuantizationUnavailable, match="pip install torchao"):
        quantize_model(tiny_model(), "torchao-int8")


@TORCH
def test_bitsandbytes_without_cuda_is_refused(monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    for name in ("transformers", "bitsandbytes", "accelerate"):
        monkeypatch.setitem(sys.modules, name, type(sys)(name))  # present, so only CUDA is missing
    with pytest.raises(QuantizationUnavailable, match="needs a CUDA device"):
        load_quantized("some/model", "bnb-4bit")


def test_unknown_backend_and_load_time_backends():
    with pytest.raises(ValueError, match="unknown backend"):
        load_quantized("m", "int3")
    with pytest.raises(ValueError, match="use load_quantized"):
        quantize_model(object(), "bnb-8bit")


@TORCH
def test_choose_smallest_keeps_the_smallest_and_drops_the_rest():
    torch = pytest.importorskip("torch")
    import weakref

    alive = {}

    def loader(name, dtype):
        def load():
            model = tiny_model().to(dtype)
            alive[name] = weakref.ref(model)
            return model

        return load

    choice = choose_smallest({
        "fp32": loader("fp32", torch.float32),
        "fp16": loader("fp16", torch.float16),
        "int8": lambda: quantize_model(tiny_model(), "dynamic-int8"),  # a QuantizedModel is unwrapped
    })
    assert choice.name == "int8"
    assert choice.footprints["fp16"] * 2 == choice.footprints["fp32"]
    assert choice.footprints["int8"] < choice.footprints["fp16"]
    assert alive["fp32"]() is None and alive["fp16"]() is None  # the losers were released


def test_choose_smallest_with_a_custom_measure():
    choice = choose_smallest({"big": lambda: "x" * 10, "small": lambda: "x"}, measure=len)
    assert (choice.name, choice.model, choice.footprints) == ("small", "x", {"big": 10, "small": 1})
    with pytest.raises(ValueError):
        choose_smallest({})


@TORCH
def test_torchao_int8_weight_only_when_installed():
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchao")
    model = tiny_model()
    x = torch.randn(4, 256)
    expected = model(x)
    result = quantize_model(model, "torchao-int8")
    assert result.bytes_after < result.bytes_before * 0.35  # tensor subclasses counted by their int8 data
    assert torch.allclose(result.model(x), expected, atol=0.05)


@pytest.fixture
def tiny_checkpoint(tmp_path):
    """A tiny NLLB-shaped (M2M100) seq2seq checkpoint written locally: no download."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    config = transformers.M2M100Config(
        vocab_size=128, d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128, max_position_embeddings=64,
    )
    transformers.AutoModelForSeq2SeqLM.from_config(config).save_pretrained(tmp_path / "tiny")
    return str(tmp_path / "tiny")


@TORCH
def test_load_quantized_checkpoint_on_cpu(tiny_checkpoint):
    int8 = load_quantized(tiny_checkpoint, "dynamic-int8")
    assert int8.bytes_after < int8.bytes_before
    fp16 = load_quantized(tiny_checkpoint, "fp16", device_map=None)
    assert fp16.bytes_before == int8.bytes_before and fp16.bytes_after * 2 == fp16.bytes_before
    choice = choose_smallest({
        "fp16": lambda: load_quantized(tiny_checkpoint, "fp16", device_map=None),
        "int8": lambda: load_quantized(tiny_checkpoint, "dynamic-int8"),
    })
    assert choice.name == "int8"
