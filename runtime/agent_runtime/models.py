"""Model manager: keep models loaded under a VRAM budget.

    manager = ModelManager(GpuMemoryProbe(0), reserve_bytes=1 << 30, keep_alive=300)
    manager.register("nllb", load_nllb, size_bytes=1_300_000_000)
    with manager.using("nllb") as model:
        model.generate(...)

- Budget: the memory probe's free bytes minus ``reserve_bytes``. Loading a model needs
  ``overhead`` (default 1.1) times its size; idle models are evicted until it fits.
- Eviction is size-aware LRU: among idle models (refcount 0, not pinned), the least
  recently used one that alone frees enough goes first; if none does, the least
  recently used goes and the search repeats. In-use and pinned models are never evicted.
- Sizes are declared at ``register`` or measured on first load (the probe's free bytes
  before/after, else parameter+buffer bytes for torch modules) and remembered.
- Keep-alive after the last release: -1 keeps forever, 0 unloads at once, N unloads
  after N seconds; ``tick()``/``unload_idle()`` apply it with an injectable clock, or
  ``start()`` runs ``tick()`` on a background thread.
- Predictive preloading (``predictive_loading_enabled``): on ``tick()`` the model that
  usually follows the last used one is loaded ahead of time, only when it fits
  without evicting anything.
- Unloading drops the manager's references, calls the optional unloader, runs
  ``gc.collect()`` and, when torch is already imported and CUDA initialised,
  ``torch.cuda.empty_cache()``. A weakref then tells whether something still holds
  the model: that is logged as a warning and counted in ``leaks``.

All methods are thread-safe. A load runs outside the manager's lock: while one model
loads, the loaded ones stay usable, other models load, ``stats()`` answers (it lists the
model under ``loading``) and a second caller for the same model waits for that one load
(and gets its error if it fails). A load in flight holds its budget (``overhead`` times
its declared size) until it is done, so two loads never both count the same free bytes;
sizes measured from the probe are approximate while other loads run.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

KEEP_FOREVER = -1.0
DEFAULT_OVERHEAD = 1.1


class MemoryProbe(Protocol):
    """Where the budget comes from: free bytes on the device models load into."""

    def free_bytes(self) -> int: ...


class GpuMemoryProbe:
    """Free memory of one GPU through NVML (agent_runtime.gpu.GpuProbe)."""

    def __init__(self, device_index: int = 0, probe: Any = None) -> None:
        from agent_runtime.gpu import GpuProbe

        self.device_index = device_index
        self.probe = probe or GpuProbe()

    def free_bytes(self) -> int:
        return self.probe.free_bytes(self.device_index)


class SystemMemoryProbe:
    """Available system RAM (``MemAvailable``), for machines that run models on CPU."""

    def __init__(self, meminfo: Path = Path("/proc/meminfo")) -> None:
        self.meminfo = meminfo

    def free_bytes(self) -> int:
        for line in self.meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
        raise OSError(f"no MemAvailable in {self.meminfo}")


def default_memory_probe() -> MemoryProbe:
    """The first GPU when NVML sees one, else system memory."""
    from agent_runtime.gpu import GpuProbe

    probe = GpuProbe()
    return GpuMemoryProbe(0, probe) if probe.snapshot().available else SystemMemoryProbe()


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"


class ModelBudgetError(MemoryError):
    """A model does not fit even after evicting every idle model."""


class UnknownModelError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass
class ModelSpec:
    name: str
    loader: Callable[[], Any]
    size_bytes: int | None = None  # declared, or measured on first load
    keep_alive: float | None = None  # None: the manager's default
    pinned: bool = False
    unloader: Callable[[Any], None] | None = None
    measured: bool = False


@dataclass
class LoadedModel:
    name: str
    model: Any
    size_bytes: int
    loaded_at: float
    last_used: float
    refcount: int = 0
    pinned: bool = False
    preloaded: bool = False  # loaded by prediction and not acquired since


@dataclass
class _Loading:
    """A load in flight: callers for the same model wait on ``done``; ``reserved`` bytes are promised to it."""

    reserved: int
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class ModelManager:
    def __init__(
        self,
        probe: MemoryProbe | None = None,
        *,
        reserve_bytes: int = 0,
        overhead: float = DEFAULT_OVERHEAD,
        keep_alive: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        predictive_loading_enabled: bool = False,
        preload_keep_alive: float = 60.0,
        history_size: int = 64,
        logger: logging.Logger | None = None,
    ) -> None:
        self.probe = probe if probe is not None else default_memory_probe()
        self.reserve_bytes = reserve_bytes
        self.overhead = overhead
        self.keep_alive = keep_alive
        self.clock = clock
        self.predictive_loading_enabled = predictive_loading_enabled
        self.preload_keep_alive = preload_keep_alive
        self.logger = logger or logging.getLogger(__name__)
        self.counters: Counter[str] = Counter()  # loads, evictions, idle_unloads, preloads, leaks, ...
        self._specs: dict[str, ModelSpec] = {}
        self._loaded: dict[str, LoadedModel] = {}
        self._loading: dict[str, _Loading] = {}
        self._ghosts: dict[str, weakref.ref] = {}  # unloaded models, to find leaks
        self._history: deque[str] = deque(maxlen=history_size)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ registry

    def register(
        self,
        name: str,
        loader: Callable[[], Any],
        *,
        size_bytes: int | None = None,
        keep_alive: float | None = None,
        pinned: bool = False,
        unloader: Callable[[Any], None] | None = None,
    ) -> None:
        with self._lock:
            if name in self._loaded or name in self._loading:
                raise ValueError(f"model {name!r} is loaded; unload it before registering it again")
            self._specs[name] = ModelSpec(name, loader, size_bytes, keep_alive, pinned, unloader)

    def _spec(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownModelError(f"no model registered as {name!r}") from None

    def required_bytes(self, name: str) -> int:
        """What loading ``name`` needs: overhead x its size (0 while the size is unknown)."""
        size = self._spec(name).size_bytes
        return round(size * self.overhead) if size else 0

    def available_bytes(self) -> int:
        """Free bytes for a new load: the probe's, minus the reserve and what loads in flight are promised."""
        with self._lock:
            promised = sum(loading.reserved for loading in self._loading.values())
        return self.probe.free_bytes() - self.reserve_bytes - promised

    # ------------------------------------------------------------ acquire / release

    def acquire(self, name: str) -> Any:
        """Load ``name`` if needed (evicting idle models) and take a reference to it."""
        return self._take(name, reference=True)

    def release(self, name: str) -> None:
        with self._lock:
            entry = self._loaded.get(name)
            if entry is None or entry.refcount <= 0:
                raise RuntimeError(f"release({name!r}) without a matching acquire")
            entry.refcount -= 1
            entry.last_used = self.clock()
            if entry.refcount == 0 and not entry.pinned and self._keep_alive(entry) == 0:
                self._unload(name, "idle_unloads")

    @contextmanager
    def using(self, name: str) -> Iterator[Any]:
        model = self.acquire(name)
        try:
            yield model
        finally:
            del model
            self.release(name)

    def pin(self, name: str) -> None:
        """Keep ``name`` loaded (loading it now if needed) until ``unpin``."""
        self._take(name, pin=True)

    def unpin(self, name: str) -> None:
        with self._lock:
            entry = self._loaded.get(name)
            if entry is not None:
                entry.pinned = False
                entry.last_used = self.clock()

    def unload(self, name: str) -> bool:
        """Unload an idle model now; False when it is in use, pinned or not loaded."""
        with self._lock:
            entry = self._loaded.get(name)
            if entry is None or entry.refcount or entry.pinned:
                return False
            self._unload(name, "unloads")
            return True

    # ------------------------------------------------------------ queries

    def is_loaded(self, name: str) -> bool:
        with self._lock:
            return name in self._loaded

    def loaded(self) -> dict[str, LoadedModel]:
        """Copies of the loaded entries (without the model objects), by name."""
        with self._lock:
            return {n: LoadedModel(**{**vars(e), "model": None}) for n, e in self._loaded.items()}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "loaded": {n: e.size_bytes for n, e in self._loaded.items()},
                "loaded_bytes": sum(e.size_bytes for e in self._loaded.values()),
                "loading": sorted(self._loading),
                **{k: self.counters[k] for k in ("loads", "evictions", "idle_unloads", "unloads", "preloads", "leaks")},
            }

    # ------------------------------------------------------------ loading and eviction

    def _take(self, name: str, *, reference: bool = False, pin: bool = False) -> Any:
        """The model ``name``, loaded by this caller or by the one already loading it; with a reference or pinned."""
        while True:
            with self._lock:
                entry = self._loaded.get(name)
                if entry is not None:
                    self._use(entry, reference, pin)
                    return entry.model
                loading = self._loading.get(name)
                mine = loading is None
                if loading is None:
                    self._make_room(self.required_bytes(name), name)
                    loading = self._begin_load(name)
            if mine:
                return self._load(name, loading, reference=reference, pin=pin)
            loading.done.wait()
            if loading.error is not None:
                raise loading.error
            # Loaded by the other caller (or already evicted again): look once more.

    def _use(self, entry: LoadedModel, reference: bool, pin: bool) -> None:
        if reference:
            entry.refcount += 1
            entry.last_used = self.clock()
            entry.preloaded = False
            self._history.append(entry.name)
        if pin:
            entry.pinned = True

    def _begin_load(self, name: str) -> _Loading:
        """Announce a load (the lock held); ``_load`` then runs it without the lock."""
        loading = self._loading[name] = _Loading(self.required_bytes(name))
        return loading

    def _load(self, name: str, loading: _Loading, *, reference: bool = False, pin: bool = False,
              preloaded: bool = False) -> Any:
        """Run the loader (the lock not held), then publish the model with the caller's reference or pin."""
        spec = self._specs[name]
        try:
            free_before = self.probe.free_bytes()
            model = spec.loader()
            declared = None if spec.measured else spec.size_bytes  # a measured size is measured again
            measure = declared is None
            size = self._measure(model, free_before) if declared is None else declared
        except BaseException as error:  # anything, KeyboardInterrupt included: the waiters get it too; re-raised
            with self._lock:
                del self._loading[name]
            loading.error = error
            loading.done.set()
            raise
        with self._lock:
            if measure:
                spec.size_bytes, spec.measured = size, True
            now = self.clock()
            entry = LoadedModel(name, model, size, now, now, pinned=spec.pinned, preloaded=preloaded)
            del self._loading[name]
            self._loaded[name] = entry
            self._ghosts.pop(name, None)
            self.counters["loads"] += 1
            self._use(entry, reference, pin)
        loading.done.set()
        self.logger.info("loaded model %s (%s)", name, _mib(size))
        return model

    def _measure(self, model: Any, free_before: int) -> int:
        delta = free_before - self.probe.free_bytes()
        if delta > 0:
            return delta
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(model, torch.nn.Module):
            from agent_runtime.quantize import footprint_bytes

            return footprint_bytes(model)
        return 0

    def _evictable(self) -> list[LoadedModel]:
        idle = [e for e in self._loaded.values() if e.refcount == 0 and not e.pinned]
        return sorted(idle, key=lambda e: (e.last_used, e.loaded_at))

    def _make_room(self, need: int, name: str) -> None:
        available = self.available_bytes()
        evicted: list[str] = []
        while need > available:
            candidates = self._evictable()
            if not candidates:
                busy = sorted(self._loaded)
                loading = f"; loading: {sorted(self._loading)}" if self._loading else ""
                raise ModelBudgetError(
                    f"model {name!r} needs {_mib(need)} ({self.overhead:g} x its size), {_mib(available)} "
                    f"available after evicting "
                    f"{evicted or 'nothing'}; loaded and in use or pinned: {busy or 'none'}{loading}"
                )
            deficit = need - available
            victim = next((e for e in candidates if e.size_bytes >= deficit), candidates[0])
            self._unload(victim.name, "evictions")
            evicted.append(victim.name)
            available = self.available_bytes()

    def _unload(self, name: str, reason: str) -> None:
        entry = self._loaded.pop(name)
        model, entry.model = entry.model, None
        try:
            ghost = weakref.ref(model)
        except TypeError:  # ints, strings, tuples: no weakref, no leak check
            ghost = None
        unloader = self._specs[name].unloader
        if unloader is not None:
            self._run_unloader(unloader, model, name)
        del model
        self._release_memory()
        self.counters[reason] += 1
        self.logger.info("unloaded model %s (%s)", name, reason)
        if ghost is not None and ghost() is not None:
            self._ghosts[name] = ghost
            self.counters["leaks"] += 1
            self.logger.warning(
                "model %s was unloaded (%s) but is still referenced elsewhere: its memory is not freed", name, reason
            )

    def _run_unloader(self, unloader: Callable[[Any], None], model: Any, name: str) -> None:
        try:
            unloader(model)
        except Exception as exc:  # analyzer: ignore[broad-except] - the unload must finish so accounting stays right; the error is logged
            self.logger.error("unloader of model %s failed: %s", name, exc, exc_info=True)
            del exc  # the traceback holds the model; drop it before the leak check

    @staticmethod
    def _release_memory() -> None:
        gc.collect()
        torch = sys.modules.get("torch")  # never import torch here: only if the models brought it
        if torch is not None and torch.cuda.is_initialized():
            torch.cuda.empty_cache()

    def check_leaks(self) -> list[str]:
        """Names of unloaded models that are still alive (the dead ones are forgotten)."""
        with self._lock:
            self._ghosts = {n: g for n, g in self._ghosts.items() if g() is not None}
            return sorted(self._ghosts)

    # ------------------------------------------------------------ idle unload and prediction

    def _keep_alive(self, entry: LoadedModel) -> float:
        spec = self._specs[entry.name]
        keep = self.keep_alive if spec.keep_alive is None else spec.keep_alive
        if entry.preloaded and keep >= 0:
            return max(keep, self.preload_keep_alive)
        return keep

    def unload_idle(self, now: float | None = None) -> list[str]:
        """Unload every idle model whose keep-alive has run out; returns their names."""
        with self._lock:
            now = self.clock() if now is None else now
            expired = [
                e.name
                for e in self._evictable()
                if (keep := self._keep_alive(e)) >= 0 and now - e.last_used >= keep
            ]
            for name in expired:
                self._unload(name, "idle_unloads")
            return expired

    def predict(self) -> list[str]:
        """Models likely to be used next: those that followed the last used one, most often first."""
        with self._lock:
            history = list(self._history)
        if not history:
            return []
        last = history[-1]
        followers = Counter(b for a, b in zip(history, history[1:]) if a == last and b != last)
        return [name for name, _ in followers.most_common()]

    def preload(self, limit: int = 1) -> list[str]:
        """Load up to ``limit`` predicted models that fit without evicting anything."""
        loaded: list[str] = []
        for name in self.predict():
            if len(loaded) >= limit:
                break
            with self._lock:
                if name in self._loaded or name in self._loading or name not in self._specs:
                    continue
                if self.required_bytes(name) > self.available_bytes():
                    continue
                loading = self._begin_load(name)
            self._load(name, loading, preloaded=True)
            with self._lock:
                self.counters["preloads"] += 1
            loaded.append(name)
        return loaded

    def tick(self) -> dict[str, list[str]]:
        """One housekeeping round: idle unload, then predictive preload, then the leak check."""
        unloaded = self.unload_idle()
        preloaded = self.preload() if self.predictive_loading_enabled else []
        return {"unloaded": unloaded, "preloaded": preloaded, "leaked": self.check_leaks()}

    # ------------------------------------------------------------ background thread

    def start(self, interval: float = 1.0) -> None:
        """Run ``tick()`` every ``interval`` seconds on a daemon thread until ``stop()``."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="model-manager", daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.tick()
            except Exception:  # analyzer: ignore[broad-except] - keep housekeeping alive; the failure is logged with its traceback
                self.logger.exception("model manager tick failed")

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
