"""Prometheus metrics for GPUs, the model manager and SafeExecutor.

    registry = CollectorRegistry()
    MetricsCollector(GpuProbe(), managers={"main": manager}, registry=registry)
    serve_metrics(registry, port=9400)

or from a shell: ``python -m agent_runtime.metrics --port 9400 [--pushgateway URL]``.

Names follow one scheme, ``agent_runtime_<module>_<what>[_<unit>]``: every scrape reads
NVML afresh (``agent_runtime_gpu_*``), the managers' stats (``agent_runtime_models_*``)
and SafeExecutor's swallowed counts (``agent_runtime_errors_swallowed_total``). No label
changes with a restart (no pid): GPU memory per process is summed per process name.
When a GPU's used/total memory crosses
``alert_threshold`` (0.9 by default) a VramAlert is logged as a warning and passed to
``on_alert``; it fires again only after usage has gone back under the threshold.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from agent_runtime.errors import swallowed_counts
from agent_runtime.gpu import GpuProbe, GpuSnapshot

logger = logging.getLogger(__name__)

DEFAULT_PORT = 9400
DEFAULT_ALERT_THRESHOLD = 0.9
NAMESPACE = "agent_runtime"
GPU_LABELS = ["gpu", "uuid", "name"]
# ModelManager.stats() counters, each exported as agent_runtime_models_<key>_total.
MODEL_COUNTERS = {
    "loads": "Model loads",
    "evictions": "Models evicted to make room for another",
    "idle_unloads": "Models unloaded after their keep-alive",
    "unloads": "Models unloaded on request",
    "preloads": "Models loaded ahead of use by prediction",
    "leaks": "Unloaded models still referenced elsewhere",
}


def _name(module: str, what: str) -> str:
    return f"{NAMESPACE}_{module}_{what}"


@dataclass(frozen=True)
class VramAlert:
    gpu: int
    uuid: str
    used_bytes: int
    total_bytes: int
    threshold: float

    @property
    def ratio(self) -> float:
        return self.used_bytes / self.total_bytes if self.total_bytes else 0.0


class MetricsCollector(Collector):
    """A custom collector: metrics are computed at scrape time, nothing is stored between scrapes."""

    def __init__(
        self,
        gpu_probe: GpuProbe | None = None,
        managers: Mapping[str, Any] | None = None,
        *,
        registry: CollectorRegistry | None = None,
        alert_threshold: float = DEFAULT_ALERT_THRESHOLD,
        on_alert: Callable[[VramAlert], None] | None = None,
        include_swallowed: bool = True,
    ) -> None:
        self.gpu_probe = gpu_probe if gpu_probe is not None else GpuProbe()
        self.managers = dict(managers or {})
        self.alert_threshold = alert_threshold
        self.on_alert = on_alert
        self.include_swallowed = include_swallowed
        self.alerts_fired = 0
        self._alerting: set[str] = set()  # GPUs (by uuid) currently above the threshold
        self._lock = threading.Lock()
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterable[Any]:
        return []  # names are only known at scrape time; registering must not probe NVML

    def collect(self) -> Iterable[Any]:
        snapshot = self.gpu_probe.snapshot()
        self.check_alerts(snapshot)
        yield from self._gpu_metrics(snapshot)
        yield from self._model_metrics()
        if self.include_swallowed:
            yield self._swallowed_metric()

    # ------------------------------------------------------------ alerts

    def check_alerts(self, snapshot: GpuSnapshot) -> list[VramAlert]:
        """Fire for each GPU that crossed the threshold since the last check."""
        fired = []
        with self._lock:
            for device in snapshot.devices:
                above = device.memory_total > 0 and device.memory_used_ratio > self.alert_threshold
                if above and device.uuid not in self._alerting:
                    used, total = device.memory_used, device.memory_total
                    fired.append(VramAlert(device.index, device.uuid, used, total, self.alert_threshold))
                    self._alerting.add(device.uuid)
                elif not above:
                    self._alerting.discard(device.uuid)
            self.alerts_fired += len(fired)
        for alert in fired:
            logger.warning(
                "GPU %d (%s) VRAM at %.0f%% (%d of %d bytes), above the %.0f%% threshold",
                alert.gpu, alert.uuid, alert.ratio * 100, alert.used_bytes, alert.total_bytes, alert.threshold * 100,
            )
            if self.on_alert is not None:
                self.on_alert(alert)
        return fired

    # ------------------------------------------------------------ families

    def _gpu_metrics(self, snapshot: GpuSnapshot) -> Iterable[Any]:
        available = GaugeMetricFamily(_name("gpu", "available"), "1 when NVML reports at least one GPU")
        available.add_metric([], 1.0 if snapshot.available else 0.0)
        used = GaugeMetricFamily(_name("gpu", "memory_used_bytes"), "GPU memory in use", labels=GPU_LABELS)
        total = GaugeMetricFamily(_name("gpu", "memory_total_bytes"), "GPU memory in total", labels=GPU_LABELS)
        util = GaugeMetricFamily(
            _name("gpu", "utilization_ratio"), "GPU busy time over the last sample period", labels=GPU_LABELS
        )
        process = GaugeMetricFamily(
            _name("gpu", "process_memory_bytes"), "GPU memory of the processes of one name, summed",
            labels=["gpu", "uuid", "process"],
        )
        for d in snapshot.devices:
            labels = [str(d.index), d.uuid, d.name]
            used.add_metric(labels, d.memory_used)
            total.add_metric(labels, d.memory_total)
            if d.utilization_gpu is not None:
                util.add_metric(labels, d.utilization_gpu / 100.0)
            by_name: dict[str, int] = {}
            for p in d.processes:
                if p.used_bytes is not None:
                    by_name[p.name or ""] = by_name.get(p.name or "", 0) + p.used_bytes
            for process_name, used_bytes in sorted(by_name.items()):
                process.add_metric([str(d.index), d.uuid, process_name], used_bytes)
        alerts = CounterMetricFamily(_name("gpu", "vram_alerts"), "VRAM threshold crossings")
        alerts.add_metric([], self.alerts_fired)
        return [available, used, total, util, process, alerts]

    def _model_metrics(self) -> Iterable[Any]:
        loaded = GaugeMetricFamily(_name("models", "loaded"), "Models loaded", labels=["manager"])
        loading = GaugeMetricFamily(_name("models", "loading"), "Models being loaded now", labels=["manager"])
        loaded_bytes = GaugeMetricFamily(
            _name("models", "loaded_bytes"), "Size of each loaded model", labels=["manager", "model"]
        )
        counters = {
            key: CounterMetricFamily(_name("models", key), help_text, labels=["manager"])
            for key, help_text in MODEL_COUNTERS.items()
        }
        for manager_name, manager in self.managers.items():
            stats = manager.stats()
            loaded.add_metric([manager_name], len(stats["loaded"]))
            loading.add_metric([manager_name], len(stats["loading"]))
            for model, size in stats["loaded"].items():
                loaded_bytes.add_metric([manager_name, model], size)
            for key, family in counters.items():
                family.add_metric([manager_name], stats[key])
        return [loaded, loading, loaded_bytes, *counters.values()]

    @staticmethod
    def _swallowed_metric() -> Any:
        family = CounterMetricFamily(
            _name("errors", "swallowed"),
            "Recoverable errors swallowed by SafeExecutor",
            labels=["executor", "exception"],
        )
        for (executor, exception), count in sorted(swallowed_counts().items()):
            family.add_metric([executor, exception], count)
        return family


# Every interface by default: Prometheus scrapes the agents from another machine.
ALL_INTERFACES = "0.0.0.0"  # nosec B104


def serve_metrics(registry: CollectorRegistry, port: int = DEFAULT_PORT, host: str = ALL_INTERFACES) -> tuple[Any, Any]:
    """Serve ``/metrics`` on a daemon thread; returns (server, thread). Port 0 picks a free port."""
    return start_http_server(port, addr=host, registry=registry)


def push_metrics(registry: CollectorRegistry, gateway: str, job: str) -> None:
    from prometheus_client import push_to_gateway

    push_to_gateway(gateway, job=job, registry=registry)


# ---------------------------------------------------------------- command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m agent_runtime.metrics", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port for /metrics (0: any free port)")
    parser.add_argument("--host", default=ALL_INTERFACES, help="address to listen on")
    parser.add_argument("--pushgateway", metavar="URL", help="also push to this Pushgateway every --interval seconds")
    parser.add_argument("--job", default="agent_runtime", help="Pushgateway job name")
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between pushes (and alert checks)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_ALERT_THRESHOLD, help="VRAM alert ratio")
    parser.add_argument("--once", action="store_true", help="print the exposition once to stdout and exit")
    return parser


def main(argv: list[str] | None = None, stop: threading.Event | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    registry = CollectorRegistry()
    collector = MetricsCollector(registry=registry, alert_threshold=args.threshold)
    if args.once:
        from prometheus_client import generate_latest

        print(generate_latest(registry).decode(), end="", flush=True)
        return 0
    server, _ = serve_metrics(registry, args.port, args.host)
    print(f"serving metrics on http://{args.host}:{server.server_port}/metrics", flush=True)
    stop = stop or threading.Event()
    try:
        while True:
            if args.pushgateway:
                _push_logged(registry, args.pushgateway, args.job)
            else:
                collector.check_alerts(collector.gpu_probe.snapshot())
            if stop.wait(args.interval):
                break
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _push_logged(registry: CollectorRegistry, gateway: str, job: str) -> None:
    try:
        push_metrics(registry, gateway, job)
    except OSError as exc:  # gateway down: keep serving, try again next interval (URLError is an OSError)
        logger.warning("push to %s failed: %s", gateway, exc)


if __name__ == "__main__":
    raise SystemExit(main())
