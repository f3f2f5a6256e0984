"""NVML probe: what the GPUs hold right now, without touching CUDA.

    snapshot = GpuProbe().snapshot()
    if not snapshot.available:
        print("no GPU:", snapshot.reason)
    for device in snapshot.devices:
        print(device.index, device.name, device.memory_used, "/", device.memory_total)

Built on nvidia-ml-py (``import pynvml``), which talks to the driver's management library
only: it never creates a CUDA context and never imports torch. On a machine without
the driver (or without nvidia-ml-py) ``snapshot()`` returns ``available=False`` with the
reason and no devices; it does not raise.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    used_bytes: int | None  # None where the driver does not report it (e.g. some containers)
    name: str | None = None


@dataclass(frozen=True)
class GpuDevice:
    index: int
    name: str
    uuid: str
    memory_total: int
    memory_used: int
    memory_free: int
    utilization_gpu: float | None = None  # percent, None when the device does not report it
    utilization_memory: float | None = None
    processes: tuple[GpuProcess, ...] = ()

    @property
    def memory_used_ratio(self) -> float:
        return self.memory_used / self.memory_total if self.memory_total else 0.0


@dataclass(frozen=True)
class GpuSnapshot:
    available: bool
    devices: tuple[GpuDevice, ...] = ()
    reason: str | None = None  # why no GPU is reported, when available is False
    driver_version: str | None = None
    taken_at: float = field(default_factory=time.time)

    @property
    def memory_total(self) -> int:
        return sum(d.memory_total for d in self.devices)

    @property
    def memory_used(self) -> int:
        return sum(d.memory_used for d in self.devices)

    @property
    def memory_free(self) -> int:
        return sum(d.memory_free for d in self.devices)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class GpuProbe:
    """Reads NVML on demand. ``nvml`` may be a stand-in module with pynvml's API (tests)."""

    def __init__(self, nvml: ModuleType | None = None) -> None:
        self._nvml = nvml
        self._initialized = False
        self._lock = threading.Lock()

    def _load(self) -> tuple[ModuleType | None, str | None]:
        if self._nvml is None:
            try:
                import pynvml
            except ImportError as exc:
                return None, f"nvidia-ml-py is not installed ({exc})"
            self._nvml = pynvml
        return self._nvml, None

    def snapshot(self) -> GpuSnapshot:
        """All devices now, or ``available=False`` with the reason; never raises for a missing GPU."""
        nvml, reason = self._load()
        if nvml is None:
            return GpuSnapshot(available=False, reason=reason)
        with self._lock:
            try:
                if not self._initialized:
                    nvml.nvmlInit()
                    self._initialized = True
                count = nvml.nvmlDeviceGetCount()
                devices = tuple(self._device(nvml, i) for i in range(count))
                driver = self._optional(nvml, nvml.nvmlSystemGetDriverVersion)
            except nvml.NVMLError as exc:
                return GpuSnapshot(available=False, reason=f"NVML: {exc}")
        version = None if driver is None else _text(driver)
        if not devices:
            return GpuSnapshot(available=False, reason="NVML reports no devices", driver_version=version)
        return GpuSnapshot(available=True, devices=devices, driver_version=version)

    def free_bytes(self, device_index: int = 0) -> int:
        """Free memory of one device; 0 when there is no such GPU."""
        for device in self.snapshot().devices:
            if device.index == device_index:
                return device.memory_free
        return 0

    def close(self) -> None:
        with self._lock:
            if self._initialized and self._nvml is not None:
                try:
                    self._nvml.nvmlShutdown()
                except self._nvml.NVMLError:  # driver gone already; nothing left to release
                    pass
                self._initialized = False

    def __enter__(self) -> GpuProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ per device

    @staticmethod
    def _optional(nvml: ModuleType, call: Any, *args: Any) -> Any:
        """A value some devices do not support: None instead of an NVMLError."""
        try:
            return call(*args)
        except nvml.NVMLError:
            return None

    def _device(self, nvml: ModuleType, index: int) -> GpuDevice:
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        rates = self._optional(nvml, nvml.nvmlDeviceGetUtilizationRates, handle)
        return GpuDevice(
            index=index,
            name=_text(nvml.nvmlDeviceGetName(handle)),
            uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
            memory_total=int(memory.total),
            memory_used=int(memory.used),
            memory_free=int(memory.free),
            utilization_gpu=None if rates is None else float(rates.gpu),
            utilization_memory=None if rates is None else float(rates.memory),
            processes=self._processes(nvml, handle),
        )

    def _processes(self, nvml: ModuleType, handle: Any) -> tuple[GpuProcess, ...]:
        found: dict[int, GpuProcess] = {}
        for query in (nvml.nvmlDeviceGetComputeRunningProcesses, nvml.nvmlDeviceGetGraphicsRunningProcesses):
            for info in self._optional(nvml, query, handle) or ():
                used = getattr(info, "usedGpuMemory", None)
                name = self._optional(nvml, nvml.nvmlSystemGetProcessName, info.pid)
                found[info.pid] = GpuProcess(
                    pid=int(info.pid),
                    used_bytes=None if used is None else int(used),
                    name=None if name is None else _text(name),
                )
        return tuple(sorted(found.values(), key=lambda p: p.pid))
