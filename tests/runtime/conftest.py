"""Shared fixtures for the runtime tests: a stand-in NVML and a ports.yaml writer."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import pytest

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


@pytest.fixture
def fake_gpus() -> list[dict]:
    return [
        {"name": "NVIDIA H100", "uuid": "GPU-0000", "total": 80 * GIB, "used": 20 * GIB, "util": 37,
         "procs": [(4242, 19 * GIB)]},
        {"name": "NVIDIA H100", "uuid": "GPU-0001", "total": 80 * GIB, "used": 1 * GIB, "util": None},
    ]


@pytest.fixture
def fake_nvml(fake_gpus: list[dict]) -> types.SimpleNamespace:
    return make_fake_nvml(fake_gpus)


@pytest.fixture
def ports_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a ports.yaml under tmp_path/config and point ANALYZER_PORTS_FILE at it."""
    for name in list(__import__("os").environ):
        if name.startswith("PORT_"):
            monkeypatch.delenv(name)

    def write(text: str) -> Path:
        path = tmp_path / "config" / "ports.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
        monkeypatch.setenv("ANALYZER_PORTS_FILE", str(path))
        return path

    return write
