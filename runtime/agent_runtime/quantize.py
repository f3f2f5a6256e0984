"""Load or convert models quantised, and measure what it saved.

    result = quantize_model(my_module)                 # CPU: dynamic int8 on nn.Linear
    print(result.backend, result.bytes_before, "->", result.bytes_after)

    result = load_quantized("facebook/nllb-200-distilled-600M", "bnb-8bit",
                            model_class="AutoModelForSeq2SeqLM")   # CUDA: bitsandbytes

Backends (a table below says what each needs):

==============  ======  =================================================================
backend         device  how
==============  ======  =================================================================
dynamic-int8    CPU     ``torch.ao.quantization.quantize_dynamic`` on nn.Linear (qint8)
torchao-int8    any     ``torchao.quantization.quantize_`` with int8 weight-only
bnb-8bit        CUDA    transformers + bitsandbytes ``BitsAndBytesConfig(load_in_8bit=True)``
bnb-4bit        CUDA    transformers + bitsandbytes, 4-bit nf4, fp16 compute, double quant
fp16            any     half precision, no quantisation
==============  ======  =================================================================

A backend whose packages are missing is refused with ``QuantizationUnavailable``, which
names the packages and the pip command that installs them.

The known trap: 8-bit bitsandbytes is not always smaller or faster. For small seq2seq
models (NLLB-600M is the case seen in this project) the int8 outlier handling keeps
part of the weights in fp16 and adds per-call conversions, so the 8-bit model can be
about as large as fp16 and slower per token. Measure instead of assuming:
``choose_smallest({"fp16": ..., "bnb-8bit": ...})`` loads each candidate, measures its
footprint and keeps the smallest.

torch, transformers, bitsandbytes and torchao are imported only inside these functions.
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

logger = logging.getLogger(__name__)

PROJECT = "agent-graph-runtime"
GPU_EXTRA = f"pip install '{PROJECT}[gpu]'"

# module to import -> how to install it
_INSTALL: dict[str, str] = {
    "torch": GPU_EXTRA,
    "transformers": GPU_EXTRA,
    "bitsandbytes": GPU_EXTRA,
    "accelerate": GPU_EXTRA,
    "torchao": "pip install torchao",
}

# backend -> (modules it imports, needs CUDA)
BACKENDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "dynamic-int8": (("torch",), False),
    "torchao-int8": (("torch", "torchao"), False),
    "bnb-8bit": (("torch", "transformers", "bitsandbytes", "accelerate"), True),
    "bnb-4bit": (("torch", "transformers", "bitsandbytes", "accelerate"), True),
    "fp16": (("torch",), False),
}


class QuantizationUnavailable(RuntimeError):
    """The requested backend cannot run here: a package is missing or there is no CUDA device."""

    def __init__(self, backend: str, missing: Iterable[str] = (), reason: str | None = None) -> None:
        self.backend = backend
        self.missing = tuple(missing)
        hints = sorted({_INSTALL.get(m, f"pip install {m}") for m in self.missing})
        details = []
        if self.missing:
            details.append(f"missing package(s): {', '.join(self.missing)}; install with: {' and '.join(hints)}")
        if reason:
            details.append(reason)
        message = f"quantisation backend {backend!r} is unavailable"
        super().__init__(message + (": " + "; ".join(details) if details else ""))


@dataclass
class QuantizedModel:
    model: Any
    backend: str
    bytes_before: int | None  # None where the unquantised size could not be known
    bytes_after: int

    @property
    def ratio(self) -> float | None:
        return self.bytes_after / self.bytes_before if self.bytes_before else None


@dataclass
class Choice:
    name: str
    model: Any
    footprints: dict[str, int] = field(default_factory=dict)


def _require(backend: str) -> dict[str, Any]:
    """Import what ``backend`` needs, or raise QuantizationUnavailable naming every missing package."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {sorted(BACKENDS)}")
    modules, needs_cuda = BACKENDS[backend]
    found: dict[str, Any] = {}
    missing: list[str] = []
    for name in modules:
        try:
            found[name] = importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise QuantizationUnavailable(backend, missing)
    if needs_cuda and not found["torch"].cuda.is_available():
        reason = "it needs a CUDA device and torch sees none (use dynamic-int8 on CPU)"
        raise QuantizationUnavailable(backend, reason=reason)
    return found


# ---------------------------------------------------------------- footprint


def _tensors_in(value: Any) -> Iterable[Any]:
    """Tensors inside a state_dict value: a tensor, or nested tuples/lists of them (packed params)."""
    torch = sys.modules["torch"]
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors_in(item)


def _tensor_bytes(tensor: Any, seen: set) -> int:
    if hasattr(type(tensor), "__tensor_flatten__"):  # tensor subclasses (torchao): count the inner data
        names, _ = tensor.__tensor_flatten__()
        return sum(_tensor_bytes(getattr(tensor, n), seen) for n in names)
    pointer = 0 if tensor.device.type == "meta" else tensor.data_ptr()
    key = ("ptr", pointer) if pointer else ("id", id(tensor))
    if key in seen:
        return 0
    seen.add(key)
    return tensor.numel() * tensor.element_size()


def footprint_bytes(model: Any) -> int:
    """Bytes of parameters and buffers, packed quantised weights included, shared tensors once."""
    import torch  # noqa: F401  (callers pass torch modules; _tensors_in reads sys.modules)

    seen: set = set()
    state = model.state_dict(keep_vars=True).values()
    tensors = chain(model.parameters(), model.buffers(), *(_tensors_in(v) for v in state))
    return sum(_tensor_bytes(t, seen) for t in tensors)


# ---------------------------------------------------------------- in-memory modules


def _dynamic_int8(torch: Any, model: Any) -> Any:
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao but still works; say it once in the docs
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization is deprecated.*")
        warnings.filterwarnings("ignore", message=r".*quantized tensor creation functions.*deprecated.*")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _torchao_int8(torchao: Any, model: Any) -> Any:
    quantization = importlib.import_module("torchao.quantization")
    config_cls = getattr(quantization, "Int8WeightOnlyConfig", None)  # newer torchao
    config = config_cls() if config_cls else quantization.int8_weight_only()
    quantization.quantize_(model, config)
    return model


def _fp16(torch: Any, model: Any) -> Any:
    return model.half()


_CONVERT: dict[str, Callable[[dict[str, Any], Any], Any]] = {
    "dynamic-int8": lambda mods, m: _dynamic_int8(mods["torch"], m),
    "torchao-int8": lambda mods, m: _torchao_int8(mods["torchao"], m),
    "fp16": lambda mods, m: _fp16(mods["torch"], m),
}


def quantize_model(model: Any, backend: str = "auto") -> QuantizedModel:
    """Quantise an in-memory torch module; ``auto`` is dynamic-int8 (torchao-int8 if torch lacks it)."""
    if backend == "auto":
        backend = "dynamic-int8" if _has_dynamic_quantization() else "torchao-int8"
    if backend not in _CONVERT:
        raise ValueError(f"backend {backend!r} quantises at load time; use load_quantized() for it")
    modules = _require(backend)
    before = footprint_bytes(model)
    quantized = _CONVERT[backend](modules, model)
    return QuantizedModel(quantized, backend, before, footprint_bytes(quantized))


def _has_dynamic_quantization() -> bool:
    try:
        import torch
    except ImportError:
        raise QuantizationUnavailable("dynamic-int8", ["torch"]) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        quantization = getattr(getattr(torch, "ao", None), "quantization", None)
        return hasattr(quantization, "quantize_dynamic")


# ---------------------------------------------------------------- from checkpoints (transformers)


def _model_class(transformers: Any, model_class: str | type) -> Any:
    return getattr(transformers, model_class) if isinstance(model_class, str) else model_class


def _dtype_kwarg(transformers: Any, dtype: Any) -> dict[str, Any]:
    """transformers 4.56 renamed ``torch_dtype`` to ``dtype``; pass whichever this version knows."""
    try:
        major, minor = (int(part) for part in transformers.__version__.split(".")[:2])
    except (AttributeError, ValueError):  # odd version string: assume a current release
        return {"dtype": dtype}
    return {"dtype": dtype} if (major, minor) >= (4, 56) else {"torch_dtype": dtype}


def _meta_footprint(torch: Any, transformers: Any, cls: Any, model_id: str) -> int | None:
    """Size of the unquantised model in its checkpoint dtype, built on the meta device (no weights read)."""
    try:
        config = transformers.AutoConfig.from_pretrained(model_id)  # analyzer: ignore[model-load-in-hot-path] - a config file, read once per report
        dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or torch.float32
        with torch.device("meta"):
            skeleton = cls.from_config(config, **_dtype_kwarg(transformers, dtype))
        return footprint_bytes(skeleton)
    except Exception as exc:  # analyzer: ignore[broad-except, swallowed-exceptions] - only an estimate for the report: any failure leaves it unknown
        logger.debug("could not estimate the unquantised size of %s: %s", model_id, exc)
        return None


def _bnb_config(torch: Any, transformers: Any, backend: str) -> Any:
    if backend == "bnb-8bit":
        return transformers.BitsAndBytesConfig(load_in_8bit=True)
    return transformers.BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=torch.float16,
        bnb_4bit_use_double_quant=True,
    )


def load_quantized(
    model_id: str,
    backend: str = "auto",
    *,
    model_class: str | type = "AutoModelForSeq2SeqLM",
    device_map: str | dict | None = "auto",
    **from_pretrained: Any,
) -> QuantizedModel:
    """Load a transformers checkpoint quantised.

    ``auto``: bnb-8bit when CUDA and bitsandbytes are there, else dynamic-int8 on CPU.
    bnb-* quantise while loading (``bytes_before`` is then estimated on the meta device);
    the others load in full precision on CPU first and convert.
    """
    if backend == "auto":
        backend = _auto_load_backend()
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {sorted(BACKENDS)}")
    modules = _require(backend) | _require_transformers(backend)
    torch, transformers = modules["torch"], modules["transformers"]
    cls = _model_class(transformers, model_class)
    if backend.startswith("bnb-"):
        before = _meta_footprint(torch, transformers, cls, model_id)
        config = _bnb_config(torch, transformers, backend)
        model = cls.from_pretrained(model_id, quantization_config=config, device_map=device_map, **from_pretrained)
        return QuantizedModel(model, backend, before, footprint_bytes(model))
    if backend == "fp16" and torch.cuda.is_available():
        half = _dtype_kwarg(transformers, torch.float16)
        model = cls.from_pretrained(model_id, device_map=device_map, **half, **from_pretrained)
        before = _meta_footprint(torch, transformers, cls, model_id)
        return QuantizedModel(model, backend, before, footprint_bytes(model))
    return quantize_model(cls.from_pretrained(model_id, **from_pretrained), backend)


def _require_transformers(backend: str) -> dict[str, Any]:
    try:
        return {"transformers": importlib.import_module("transformers")}
    except ImportError:
        reason = "loading a checkpoint needs transformers"
        raise QuantizationUnavailable(backend, ["transformers"], reason=reason) from None


def _auto_load_backend() -> str:
    try:
        _require("bnb-8bit")
        return "bnb-8bit"
    except QuantizationUnavailable as exc:
        logger.info("bitsandbytes 8-bit not usable here (%s); using dynamic-int8 on CPU", exc)
        return "dynamic-int8"


# ---------------------------------------------------------------- picking by measurement


def _unwrap(loaded: Any) -> Any:
    return loaded.model if isinstance(loaded, QuantizedModel) else loaded


def _release_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def choose_smallest(
    candidates: Mapping[str, Callable[[], Any]],
    measure: Callable[[Any], int] = footprint_bytes,
) -> Choice:
    """Load each candidate in turn, keep the one with the smallest measured footprint.

    Loaders may return a model or a QuantizedModel. Only the best model so far stays
    alive while the next one loads, so peak memory is two models, not all of them.
    """
    if not candidates:
        raise ValueError("choose_smallest needs at least one candidate loader")
    best_name: str | None = None
    best_model: Any = None
    footprints: dict[str, int] = {}
    for name, loader in candidates.items():
        model = _unwrap(loader())
        footprints[name] = measure(model)
        if best_name is None or footprints[name] < footprints[best_name]:
            best_name, best_model, model = name, model, best_model  # model now holds the old best
        model = None  # drop the loser before loading the next candidate
        _release_memory()
    assert best_name is not None  # candidates is not empty
    logger.info("choose_smallest picked %s from footprints %s", best_name, footprints)
    return Choice(best_name, best_model, footprints)
