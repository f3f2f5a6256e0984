"""agent_runtime.gpu.GpuProbe: the real no-driver path here, the device path on a stand-in NVML."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from agent_runtime.gpu import GpuProbe

GIB = 1 << 30
REPO = Path(__file__).resolve().parents[2]


def test_no_driver_reports_no_gpu_for_real():
    """This machine has nvidia-ml-py but no NVIDIA driver: NVML init fails, snapshot says so."""
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        pass
    else:  # a machine with a driver: the no-driver path cannot be exercised for real here
        pynvml.nvmlShutdown()
        import pytest

        pytest.skip("an NVIDIA driver is present")
    probe = GpuProbe()
    snapshot = probe.snapshot()
    assert snapshot.available is False
    assert snapshot.devices == ()
    assert snapshot.reason and snapshot.reason.startswith("NVML:")
    assert probe.free_bytes() == 0
    assert probe.snapshot().available is False  # asking again is just as calm
    probe.close()


def test_probe_never_imports_torch_or_creates_cuda_context():
    code = textwrap.dedent("""
        import sys
        from agent_runtime.gpu import GpuProbe
        GpuProbe().snapshot()
        print(sorted(m for m in ("torch", "tensorflow", "jax") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_missing_nvidia_ml_py(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    snapshot = GpuProbe().snapshot()
    assert not snapshot.available and "nvidia-ml-py is not installed" in snapshot.reason


def test_devices_memory_utilisation_and_processes(fake_nvml):
    snapshot = GpuProbe(nvml=fake_nvml).snapshot()
    assert snapshot.available and snapshot.driver_version == "550.54"
    first, second = snapshot.devices
    assert (first.index, first.name, first.uuid) == (0, "NVIDIA H100", "GPU-0000")
    assert (first.memory_total, first.memory_used, first.memory_free) == (80 * GIB, 20 * GIB, 60 * GIB)
    assert first.utilization_gpu == 37.0
    assert [(p.pid, p.used_bytes, p.name) for p in first.processes] == [(4242, 19 * GIB, "python-4242")]
    assert second.utilization_gpu is None  # "Not Supported" is a missing value, not a failure
    assert snapshot.memory_free == 60 * GIB + 79 * GIB
    assert GpuProbe(nvml=fake_nvml).free_bytes(1) == 79 * GIB


def test_nvml_failure_mid_query_is_a_clean_no_gpu(fake_gpus, nvml_factory, nvml_error):
    nvml = nvml_factory(fake_gpus)

    def lost(_):
        raise nvml_error("GPU is lost")

    nvml.nvmlDeviceGetMemoryInfo = lost
    snapshot = GpuProbe(nvml=nvml).snapshot()
    assert not snapshot.available and snapshot.reason == "NVML: GPU is lost"


def test_zero_devices(fake_gpus, nvml_factory):
    fake_gpus.clear()
    snapshot = GpuProbe(nvml=nvml_factory(fake_gpus)).snapshot()
    assert not snapshot.available and snapshot.reason == "NVML reports no devices"
