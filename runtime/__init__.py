"""runtime: the small library that agents import to fix ports, errors, VRAM and quantisation.

Importing this package is cheap: every public name is resolved lazily (PEP 562), so
``import runtime`` loads none of zmq, prometheus_client, pydantic, yaml or torch. A
module is imported the first time one of its names is used::

    from runtime import get_port          # imports runtime.ports only
    from runtime import ReqClient         # imports runtime.messaging (and zmq, pydantic)

Pieces (one module each): ports, errors, gpu, models, quantize, metrics, messaging.
"""

from __future__ import annotations

import importlib

# Public name -> module that defines it. A table, so adding a name is one line.
_EXPORTS: dict[str, str] = {
    # runtime.ports
    "get_port": "runtime.ports",
    "load_registry": "runtime.ports",
    "endpoint": "runtime.ports",
    "bind": "runtime.ports",
    "find_ports_file": "runtime.ports",
    "PortEntry": "runtime.ports",
    "PortRegistry": "runtime.ports",
    "PortRegistryError": "runtime.ports",
    "DuplicatePortError": "runtime.ports",
    "DuplicateNameError": "runtime.ports",
    "UnknownPortError": "runtime.ports",
    "PortsFileNotFound": "runtime.ports",
    "PortInUseError": "runtime.ports",
    # runtime.errors
    "SafeExecutor": "runtime.errors",
    "swallowed_counts": "runtime.errors",
    # runtime.gpu
    "GpuProbe": "runtime.gpu",
    "GpuSnapshot": "runtime.gpu",
    "GpuDevice": "runtime.gpu",
    "GpuProcess": "runtime.gpu",
    # runtime.models
    "ModelManager": "runtime.models",
    "MemoryProbe": "runtime.models",
    "GpuMemoryProbe": "runtime.models",
    "SystemMemoryProbe": "runtime.models",
    "ModelBudgetError": "runtime.models",
    "UnknownModelError": "runtime.models",
    # runtime.quantize
    "quantize_model": "runtime.quantize",
    "load_quantized": "runtime.quantize",
    "choose_smallest": "runtime.quantize",
    "footprint_bytes": "runtime.quantize",
    "QuantizationUnavailable": "runtime.quantize",
    "QuantizedModel": "runtime.quantize",
    # runtime.metrics
    "MetricsCollector": "runtime.metrics",
    "VramAlert": "runtime.metrics",
    "serve_metrics": "runtime.metrics",
    # runtime.messaging
    "ReqClient": "runtime.messaging",
    "RepServer": "runtime.messaging",
    "RequestTimeout": "runtime.messaging",
    "RemoteError": "runtime.messaging",
    "CurveClientKeys": "runtime.messaging",
    "CurveServerKeys": "runtime.messaging",
    "create_certificates": "runtime.messaging",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # cache: the next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
