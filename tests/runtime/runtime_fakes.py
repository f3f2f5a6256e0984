"""Stand-ins shared by the runtime tests (a module with a unique name, importable from the tests)."""

from __future__ import annotations

import types

GIB = 1 << 30


class FakeNvmlError(Exception):
    pass


def make_fake_nvml(devices: list[dict]) -> types.SimpleNamespace:
    """A module with the slice of pynvml's API that GpuProbe uses; ``devices`` stay mutable."""

    def handle(index: int) -> dict:
        return devices[index]

    def utilization(h: dict) -> types.SimpleNamespace:
        if h.get("util") is None:
            raise FakeNvmlError("Not Supported")
        return types.SimpleNamespace(gpu=h["util"], memory=h.get("mem_util", 0))

    return types.SimpleNamespace(
        NVMLError=FakeNvmlError,
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlSystemGetDriverVersion=lambda: "550.54",
        nvmlDeviceGetCount=lambda: len(devices),
        nvmlDeviceGetHandleByIndex=handle,
        nvmlDeviceGetName=lambda h: h["name"].encode(),
        nvmlDeviceGetUUID=lambda h: h["uuid"],
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(
            total=h["total"], used=h["used"], free=h["total"] - h["used"]
        ),
        nvmlDeviceGetUtilizationRates=utilization,
        nvmlDeviceGetComputeRunningProcesses=lambda h: [
            types.SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in h.get("procs", [])
        ],
        nvmlDeviceGetGraphicsRunningProcesses=lambda h: [],
        nvmlSystemGetProcessName=lambda pid: f"python-{pid}",
    )
