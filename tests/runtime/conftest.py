"""Shared stand-ins and fixtures for the runtime tests.

The project runs pytest with --import-mode=importlib, so test modules cannot import a
helper module beside them: the stand-ins are handed out through fixtures instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import types
import venv
import weakref
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


MB = 1 << 20


class Blob:
    """A stand-in model: its bytes count as used on the probe until it is garbage collected."""

    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size


class FakeMemoryProbe:
    """A memory probe whose free bytes follow the Blobs alive, like VRAM follows live tensors."""

    def __init__(self, total: int) -> None:
        self.total, self.used = total, 0

    def free_bytes(self) -> int:
        return self.total - self.used

    def _free(self, size: int) -> None:
        self.used -= size

    def loader(self, name: str, size: int):
        def load() -> Blob:
            blob = Blob(name, size)
            self.used += size
            weakref.finalize(blob, self._free, size)
            return blob

        return load


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def nvml_factory():
    """make_fake_nvml(devices): a stand-in pynvml module over a list of device dicts."""
    return make_fake_nvml


@pytest.fixture
def nvml_error() -> type[Exception]:
    return FakeNvmlError


@pytest.fixture
def memory_probe():
    """FakeMemoryProbe(total): free bytes follow the stand-in models alive."""
    return FakeMemoryProbe


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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
    """Write a ports.yaml under tmp_path/config and point AGENT_PORTS_FILE at it."""
    for name in list(os.environ):
        if name.startswith("PORT_"):
            monkeypatch.delenv(name)

    def write(text: str) -> Path:
        path = tmp_path / "config" / "ports.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text))
        monkeypatch.setenv("AGENT_PORTS_FILE", str(path))
        return path

    return write


RUNTIME_SOURCE = Path(__file__).resolve().parents[2] / "runtime"


@pytest.fixture(scope="session")
def runtime_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment holding `pip install ./runtime` and nothing else; returns its python."""
    folder = tmp_path_factory.mktemp("runtime-venv") / "venv"
    venv.EnvBuilder(with_pip=True).create(folder)
    python = folder / "bin" / "python"
    # A copy of the source: building in place would leave build/ and *.egg-info in the checkout.
    source = shutil.copytree(RUNTIME_SOURCE, folder.parent / "runtime-source",
                             ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, f"pip install ./runtime failed:\n{install.stdout[-3000:]}\n{install.stderr[-3000:]}"
    return python
