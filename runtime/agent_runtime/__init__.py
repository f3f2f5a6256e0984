"""agent_runtime: what agents import to get ports, messaging, errors, VRAM and quantisation right.

Importing this package is cheap: every public name is resolved lazily (PEP 562), so
``import agent_runtime`` loads none of zmq, prometheus_client, pydantic, yaml or torch,
nor even ``typing``. A module is imported the first time one of its names is used::

    from agent_runtime import get_port      # imports agent_runtime.ports only
    from agent_runtime import ReqClient     # imports agent_runtime.messaging (and zmq, pydantic)

Type checkers and editors see every name through the imports under ``TYPE_CHECKING``.
Pieces (one module each): ports (with portsyaml, the registry file format), boundedyaml,
errors, gpu, models, quantize, metrics, messaging.
"""

import importlib

TYPE_CHECKING = False  # true for type checkers only; spares the interpreter `import typing`
if TYPE_CHECKING:
    from agent_runtime.boundedyaml import YamlLimitError, load_bounded_yaml
    from agent_runtime.errors import SafeExecutor, swallowed_counts
    from agent_runtime.gpu import GpuDevice, GpuProbe, GpuProcess, GpuSnapshot
    from agent_runtime.messaging import (
        CurveClientKeys,
        CurveKeyError,
        CurveServerKeys,
        MessageTooLarge,
        RemoteError,
        RepServer,
        ReqClient,
        RequestTimeout,
        create_certificates,
    )
    from agent_runtime.metrics import MetricsCollector, VramAlert, serve_metrics
    from agent_runtime.models import (
        GpuMemoryProbe,
        MemoryProbe,
        ModelBudgetError,
        ModelManager,
        SystemMemoryProbe,
        UnknownModelError,
    )
    from agent_runtime.ports import (
        PortInUseError,
        PortRegistry,
        PortsFileNotFound,
        UnknownPortError,
        bind,
        endpoint,
        find_ports_file,
        get_port,
        load_registry,
    )
    from agent_runtime.portsyaml import DuplicateNameError, DuplicatePortError, PortEntry, PortRegistryError
    from agent_runtime.quantize import (
        QuantizationUnavailable,
        QuantizedModel,
        choose_smallest,
        footprint_bytes,
        load_quantized,
        quantize_model,
    )

__all__ = [
    "CurveClientKeys",
    "CurveKeyError",
    "CurveServerKeys",
    "DuplicateNameError",
    "DuplicatePortError",
    "GpuDevice",
    "GpuMemoryProbe",
    "GpuProbe",
    "GpuProcess",
    "GpuSnapshot",
    "MemoryProbe",
    "MessageTooLarge",
    "MetricsCollector",
    "ModelBudgetError",
    "ModelManager",
    "PortEntry",
    "PortInUseError",
    "PortRegistry",
    "PortRegistryError",
    "PortsFileNotFound",
    "QuantizationUnavailable",
    "QuantizedModel",
    "RemoteError",
    "RepServer",
    "ReqClient",
    "RequestTimeout",
    "SafeExecutor",
    "SystemMemoryProbe",
    "UnknownModelError",
    "UnknownPortError",
    "VramAlert",
    "YamlLimitError",
    "bind",
    "choose_smallest",
    "create_certificates",
    "endpoint",
    "find_ports_file",
    "footprint_bytes",
    "get_port",
    "load_bounded_yaml",
    "load_quantized",
    "load_registry",
    "quantize_model",
    "serve_metrics",
    "swallowed_counts",
]

# Module that defines each public name, for the lazy lookup (tests check it matches the imports above).
_MODULES = {
    "boundedyaml": ("YamlLimitError", "load_bounded_yaml"),
    "errors": ("SafeExecutor", "swallowed_counts"),
    "gpu": ("GpuDevice", "GpuProbe", "GpuProcess", "GpuSnapshot"),
    "messaging": ("CurveClientKeys", "CurveKeyError", "CurveServerKeys", "MessageTooLarge", "RemoteError",
                  "RepServer", "ReqClient", "RequestTimeout", "create_certificates"),
    "metrics": ("MetricsCollector", "VramAlert", "serve_metrics"),
    "models": ("GpuMemoryProbe", "MemoryProbe", "ModelBudgetError", "ModelManager", "SystemMemoryProbe",
               "UnknownModelError"),
    "ports": ("PortInUseError", "PortRegistry", "PortsFileNotFound", "UnknownPortError", "bind", "endpoint",
              "find_ports_file", "get_port", "load_registry"),
    "portsyaml": ("DuplicateNameError", "DuplicatePortError", "PortEntry", "PortRegistryError"),
    "quantize": ("QuantizationUnavailable", "QuantizedModel", "choose_smallest", "footprint_bytes",
                 "load_quantized", "quantize_model"),
}
_MODULE_OF = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'agent_runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"agent_runtime.{module}"), name)
    globals()[name] = value  # cache: the next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
