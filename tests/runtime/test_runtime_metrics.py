"""agent_runtime.metrics: a real scrape over HTTP on 127.0.0.1, the CLI, pushes, VRAM alerts."""

from __future__ import annotations

import http.server
import logging
import select
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from agent_runtime.errors import SafeExecutor, reset_swallowed_counts
from agent_runtime.gpu import GpuProbe
from agent_runtime.metrics import MetricsCollector, push_metrics, serve_metrics
from agent_runtime.models import ModelManager

MB, GIB = 1 << 20, 1 << 30
REPO = Path(__file__).resolve().parents[2]


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def server_for():
    servers = []

    def start(registry: CollectorRegistry) -> int:
        server, thread = serve_metrics(registry, port=0, host="127.0.0.1")
        servers.append((server, thread))
        return server.server_port

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_scrape_exposes_gpus_models_and_swallowed_errors(server_for, fake_nvml, memory_probe):
    reset_swallowed_counts()
    probe = memory_probe(100 * MB)
    manager = ModelManager(probe, keep_alive=-1)
    for name in ("a", "b"):
        manager.register(name, probe.loader(name, 60 * MB), size_bytes=60 * MB)
        with manager.using(name):
            pass  # b evicts a
    with SafeExecutor(logging.getLogger("t"), recoverable=TimeoutError, name="poll"):
        raise TimeoutError
    registry = CollectorRegistry()
    MetricsCollector(GpuProbe(nvml=fake_nvml), {"main": manager}, registry=registry)

    samples = scrape(server_for(registry))

    gpu0 = (("gpu", "0"), ("name", "NVIDIA H100"), ("uuid", "GPU-0000"))
    assert samples[("agent_runtime_gpu_available", ())] == 1.0
    assert samples[("agent_runtime_gpu_memory_used_bytes", gpu0)] == 20 * GIB
    assert samples[("agent_runtime_gpu_memory_total_bytes", gpu0)] == 80 * GIB
    assert samples[("agent_runtime_gpu_utilization_ratio", gpu0)] == pytest.approx(0.37)
    gpu1 = (("gpu", "1"), ("name", "NVIDIA H100"), ("uuid", "GPU-0001"))
    assert ("agent_runtime_gpu_utilization_ratio", gpu1) not in samples  # "Not Supported": no sample
    process = (("gpu", "0"), ("process", "python-4242"), ("uuid", "GPU-0000"))
    assert samples[("agent_runtime_gpu_process_memory_bytes", process)] == 19 * GIB
    assert samples[("agent_runtime_models_loaded", (("manager", "main"),))] == 1
    assert samples[("agent_runtime_models_loaded_bytes", (("manager", "main"), ("model", "b")))] == 60 * MB
    assert samples[("agent_runtime_models_evictions_total", (("manager", "main"),))] == 1
    assert samples[("agent_runtime_models_loads_total", (("manager", "main"),))] == 2
    swallowed = (("exception", "TimeoutError"), ("executor", "poll"))
    assert samples[("agent_runtime_errors_swallowed_total", swallowed)] == 1
    reset_swallowed_counts()


def test_scrape_without_a_gpu_for_real(server_for):
    registry = CollectorRegistry()
    MetricsCollector(GpuProbe(), registry=registry)
    samples = scrape(server_for(registry))
    if samples[("agent_runtime_gpu_available", ())] == 1.0:
        pytest.skip("an NVIDIA driver is present")
    assert not any(name.startswith("agent_runtime_gpu_memory") for name, _ in samples)


def test_vram_alert_fires_once_per_crossing(fake_gpus, nvml_factory, caplog):
    nvml = nvml_factory(fake_gpus)
    alerts = []
    collector = MetricsCollector(GpuProbe(nvml=nvml), alert_threshold=0.5, on_alert=alerts.append)
    with caplog.at_level(logging.WARNING, logger="agent_runtime.metrics"):
        assert collector.check_alerts(collector.gpu_probe.snapshot()) == []
        fake_gpus[0]["used"] = 60 * GIB
        list(collector.collect())
        list(collector.collect())  # still above: no second alert
        fake_gpus[0]["used"] = 10 * GIB
        list(collector.collect())  # back below: re-armed
        fake_gpus[0]["used"] = 70 * GIB
        list(collector.collect())
    assert [(a.gpu, a.used_bytes) for a in alerts] == [(0, 60 * GIB), (0, 70 * GIB)]
    assert alerts[0].ratio == pytest.approx(0.75)
    assert "GPU 0 (GPU-0000) VRAM at 75%" in caplog.text and "above the 50% threshold" in caplog.text
    assert collector.alerts_fired == 2


def test_push_to_a_gateway_on_localhost(fake_nvml):
    received = []

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, body.decode()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    gateway = http.server.HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    try:
        registry = CollectorRegistry()
        MetricsCollector(GpuProbe(nvml=fake_nvml), registry=registry)
        push_metrics(registry, f"http://127.0.0.1:{gateway.server_port}", job="agents")
    finally:
        gateway.shutdown()
        gateway.server_close()
        thread.join(5)
    ((path, body),) = received
    assert path == "/metrics/job/agents"
    assert 'agent_runtime_gpu_memory_used_bytes{gpu="0",name="NVIDIA H100",uuid="GPU-0000"}' in body


def test_cli_once_prints_the_exposition():
    out = subprocess.run(
        [sys.executable, "-m", "agent_runtime.metrics", "--once"],
        capture_output=True, text=True, timeout=30, check=True, cwd=REPO,
    )
    names = {family.name for family in text_string_to_metric_families(out.stdout)}
    assert {"agent_runtime_gpu_available", "agent_runtime_models_loaded", "agent_runtime_errors_swallowed"} <= names


def test_cli_serves_on_localhost():
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_runtime.metrics", "--port", "0", "--host", "127.0.0.1", "--interval", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "the metrics CLI printed nothing in 20 s"
        line = process.stdout.readline()  # "serving metrics on http://127.0.0.1:PORT/metrics"
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        assert ("agent_runtime_gpu_available", ()) in scrape(port)
    finally:
        process.terminate()
        process.wait(10)


def test_process_memory_has_no_pid_label_and_sums_processes_of_one_name(fake_gpus, nvml_factory):
    fake_gpus[0]["procs"] = [(4242, 3 * GIB), (4243, 2 * GIB)]
    nvml = nvml_factory(fake_gpus)
    nvml.nvmlSystemGetProcessName = lambda pid: "python"  # two workers of one agent
    families = {f.name: f for f in MetricsCollector(GpuProbe(nvml=nvml), include_swallowed=False).collect()}
    (process,) = [f for name, f in families.items() if name.endswith("gpu_process_memory_bytes")]
    assert [(s.labels, s.value) for s in process.samples] == [
        ({"gpu": "0", "uuid": "GPU-0000", "process": "python"}, 5 * GIB)]


def test_metric_names_follow_one_scheme(fake_nvml, memory_probe):
    """agent_runtime_<module>_<what>[_<unit>]: one namespace, the module as subsystem, units last."""
    manager = ModelManager(memory_probe(100 * MB), keep_alive=-1)
    families = list(MetricsCollector(GpuProbe(nvml=fake_nvml), {"main": manager}).collect())
    names = [f.name for f in families]
    assert len(names) == len(set(names))
    for family in families:
        module, _, what = family.name.removeprefix("agent_runtime_").partition("_")
        assert family.name.startswith("agent_runtime_") and module in ("gpu", "models", "errors"), family.name
        if "bytes" in what or "ratio" in what:
            assert what.endswith(("_bytes", "_ratio")), family.name
    counters = {key for key, value in manager.stats().items() if isinstance(value, int) and key != "loaded_bytes"}
    assert {f"agent_runtime_models_{key}" for key in counters} <= set(names)  # every manager counter, one scheme
