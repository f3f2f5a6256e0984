"""agent_runtime.models.ModelManager against a memory probe whose sizes the tests control."""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
import time
import types

import pytest
from agent_runtime.models import ModelBudgetError, ModelManager, SystemMemoryProbe, UnknownModelError


MB = 1 << 20


@pytest.fixture
def make_manager(memory_probe, clock):
    """make_manager(total, **options) -> (manager, probe, clock) over a probe the test controls."""

    def make(total: int = 100 * MB, **kwargs):
        probe = memory_probe(total)
        kwargs.setdefault("keep_alive", 300.0)
        return ModelManager(probe, clock=clock, **kwargs), probe, clock

    return make


def register(manager: ModelManager, probe, sizes: dict[str, int], **kwargs) -> None:
    for name, size in sizes.items():
        manager.register(name, probe.loader(name, size * MB), size_bytes=size * MB, **kwargs)


def use(manager: ModelManager, clock, name: str, at: float) -> None:
    clock.now = at
    with manager.using(name) as model:
        assert model.name == name


def test_acquire_loads_once_and_counts_references(make_manager):
    manager, probe, _ = make_manager()
    register(manager, probe, {"a": 30})
    first, second = manager.acquire("a"), manager.acquire("a")
    assert first is second and manager.stats()["loads"] == 1
    assert manager.loaded()["a"].refcount == 2
    manager.release("a")
    manager.release("a")
    assert manager.loaded()["a"].refcount == 0 and manager.is_loaded("a")
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        manager.release("a")
    with pytest.raises(UnknownModelError, match="no model registered as 'zzz'"):
        manager.acquire("zzz")


def test_least_recently_used_idle_model_is_evicted_first(make_manager):
    manager, probe, clock = make_manager()
    register(manager, probe, {"a": 30, "b": 30, "c": 30, "d": 30})
    for at, name in enumerate(["a", "b", "c", "a"], start=1):
        use(manager, clock, name, at)
    assert probe.free_bytes() == 10 * MB
    use(manager, clock, "d", 5)  # needs 33 MB: one eviction, and b is the least recently used
    assert sorted(manager.loaded()) == ["a", "c", "d"]
    assert manager.stats()["evictions"] == 1


def test_eviction_is_size_aware(make_manager):
    manager, probe, clock = make_manager()
    register(manager, probe, {"s1": 10, "big": 40, "s2": 10, "x": 60})
    for at, name in enumerate(["s1", "big", "s2"], start=1):
        use(manager, clock, name, at)
    use(manager, clock, "x", 4)  # needs 66 MB, 40 free: evicting "big" alone suffices
    assert sorted(manager.loaded()) == ["s1", "s2", "x"]
    assert manager.stats()["evictions"] == 1


def test_reserve_and_overhead_are_part_of_the_budget(make_manager):
    manager, probe, _ = make_manager(reserve_bytes=10 * MB)
    register(manager, probe, {"a": 82})  # 82 * 1.1 = 90.2 MB > 100 - 10
    with pytest.raises(ModelBudgetError, match=r"needs 90.2 MiB \(1.1 x its size\), 90.0 MiB available"):
        manager.acquire("a")
    assert not manager.is_loaded("a")


def test_pinned_model_is_never_evicted(make_manager):
    manager, probe, clock = make_manager()
    register(manager, probe, {"a": 40, "b": 40, "c": 40})
    manager.pin("a")
    use(manager, clock, "b", 1)
    use(manager, clock, "c", 2)  # must evict b, the only unpinned idle model
    assert sorted(manager.loaded()) == ["a", "c"]
    manager.register("huge", probe.loader("huge", 80 * MB), size_bytes=80 * MB)
    with pytest.raises(ModelBudgetError, match=r"after evicting \['c'\].*pinned: \['a'\]"):
        manager.acquire("huge")
    assert manager.is_loaded("a")
    manager.unpin("a")
    use(manager, clock, "huge", 3)
    assert sorted(manager.loaded()) == ["huge"]


def test_model_in_use_is_never_evicted(make_manager):
    manager, probe, clock = make_manager()
    register(manager, probe, {"a": 50, "b": 50})
    held = manager.acquire("a")
    with pytest.raises(ModelBudgetError, match="in use or pinned: \\['a'\\]"):
        manager.acquire("b")
    assert manager.is_loaded("a") and held.name == "a"
    del held
    manager.release("a")
    use(manager, clock, "b", 1)
    assert sorted(manager.loaded()) == ["b"]


def test_idle_unload_follows_keep_alive_with_injected_clock(make_manager):
    manager, probe, clock = make_manager(keep_alive=10.0)
    register(manager, probe, {"default": 10})
    register(manager, probe, {"forever": 10}, keep_alive=-1)
    register(manager, probe, {"at_once": 10}, keep_alive=0)
    register(manager, probe, {"pinned": 10}, pinned=True)
    for name in ("default", "forever", "at_once", "pinned"):
        use(manager, clock, name, 0.0)
    assert not manager.is_loaded("at_once")  # keep-alive 0: gone on release
    clock.now = 9.9
    assert manager.unload_idle() == []
    clock.now = 10.0
    assert manager.tick()["unloaded"] == ["default"]
    clock.now = 1e9
    assert manager.unload_idle() == []
    assert sorted(manager.loaded()) == ["forever", "pinned"]
    assert manager.stats()["idle_unloads"] == 2
    assert probe.used == 20 * MB


def test_model_in_use_is_not_idle(make_manager):
    manager, probe, clock = make_manager(keep_alive=1.0)
    register(manager, probe, {"a": 10})
    manager.acquire("a")
    clock.now = 100.0
    assert manager.unload_idle() == []
    manager.release("a")
    clock.now = 100.5
    assert manager.unload_idle() == []
    clock.now = 101.0
    assert manager.unload_idle() == ["a"]


def test_predictive_preload_when_there_is_headroom(make_manager):
    manager, probe, clock = make_manager(predictive_loading_enabled=True, keep_alive=0)
    register(manager, probe, {"stt": 20, "translator": 30, "tts": 20})
    for at, name in enumerate(["stt", "translator", "tts", "stt", "translator", "tts", "stt"]):
        use(manager, clock, name, float(at))
    assert manager.loaded() == {}  # keep-alive 0 unloaded everything on release
    assert manager.predict() == ["translator"]
    assert manager.tick()["preloaded"] == ["translator"]
    assert manager.loaded()["translator"].preloaded
    assert manager.stats()["preloads"] == 1
    clock.now = 7.0
    assert manager.unload_idle() == []  # a preloaded model waits preload_keep_alive, not 0
    use(manager, clock, "translator", 8.0)
    assert manager.stats()["loads"] == 8  # the acquire found it loaded: no ninth load


def test_predictive_preload_never_evicts(make_manager):
    manager, probe, clock = make_manager(predictive_loading_enabled=True)
    register(manager, probe, {"a": 50, "b": 50})
    use(manager, clock, "a", 1)
    use(manager, clock, "b", 2)  # evicts a
    use(manager, clock, "a", 3)  # evicts b; history a -> b -> a predicts b
    assert manager.predict() == ["b"]
    assert manager.tick()["preloaded"] == []  # b would fit only by evicting a
    assert sorted(manager.loaded()) == ["a"]


def test_preload_is_off_unless_enabled(make_manager):
    manager, probe, clock = make_manager()
    register(manager, probe, {"a": 10, "b": 10}, keep_alive=0)
    for at, name in enumerate(["a", "b", "a"]):
        use(manager, clock, name, float(at))
    assert manager.tick()["preloaded"] == [] and manager.loaded() == {}


def test_leak_is_warned_when_a_reference_survives_unload(make_manager, caplog):
    manager, probe, clock = make_manager()
    register(manager, probe, {"a": 30})
    with manager.using("a") as model:
        kept = model  # the leak: a reference the manager cannot drop
    with caplog.at_level(logging.WARNING, logger="agent_runtime.models"):
        assert manager.unload("a")
    assert "model a was unloaded (unloads) but is still referenced" in caplog.text
    assert manager.stats()["leaks"] == 1
    assert manager.check_leaks() == ["a"]
    assert probe.used == 30 * MB  # the memory is indeed still held
    del kept, model
    assert manager.check_leaks() == []
    assert probe.used == 0


def test_clean_unload_warns_nothing_and_frees_memory(make_manager, caplog):
    manager, probe, clock = make_manager()
    unloaded = []
    manager.register("a", probe.loader("a", 30 * MB), size_bytes=30 * MB, unloader=lambda m: unloaded.append(m.name))
    use(manager, clock, "a", 1)
    with caplog.at_level(logging.WARNING, logger="agent_runtime.models"):
        assert manager.unload("a")
    assert caplog.records == [] and unloaded == ["a"]
    assert probe.used == 0 and manager.stats()["leaks"] == 0


def test_empty_cache_only_when_torch_already_imported_and_cuda_initialised(make_manager, monkeypatch):
    calls = []
    fake_cuda = types.SimpleNamespace(is_initialized=lambda: True, empty_cache=lambda: calls.append("empty"))
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=fake_cuda))
    manager, probe, clock = make_manager()
    register(manager, probe, {"a": 10})
    use(manager, clock, "a", 1)
    manager.unload("a")
    assert calls == ["empty"]
    fake_cuda.is_initialized = lambda: False
    use(manager, clock, "a", 2)
    manager.unload("a")
    assert calls == ["empty"]


def test_size_is_measured_when_not_declared(make_manager):
    manager, probe, clock = make_manager()
    manager.register("a", probe.loader("a", 25 * MB))
    assert manager.required_bytes("a") == 0  # unknown until the first load
    use(manager, clock, "a", 1)
    assert manager.stats()["loaded"] == {"a": 25 * MB}
    assert manager.required_bytes("a") == round(25 * MB * 1.1)


def test_concurrent_users_keep_counts_straight(make_manager):
    manager, probe, _ = make_manager(keep_alive=-1)
    register(manager, probe, {"a": 30, "b": 30})
    errors = []

    def worker(name: str) -> None:
        try:
            for _ in range(200):
                with manager.using(name):
                    pass
        except Exception as exc:  # collected and asserted on below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in "abab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert {n: e.refcount for n, e in manager.loaded().items()} == {"a": 0, "b": 0}
    assert manager.stats()["loads"] == 2


def test_background_thread_unloads_idle_models(memory_probe):
    manager = ModelManager(memory_probe(100 * MB), keep_alive=0.05)
    probe = manager.probe
    manager.register("a", probe.loader("a", 10 * MB), size_bytes=10 * MB)
    with manager.using("a"):
        pass
    manager.start(interval=0.01)
    try:
        deadline = time.monotonic() + 3.0
        while manager.is_loaded("a") and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        manager.stop()
    assert not manager.is_loaded("a")


def test_system_memory_probe_reads_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemAvailable:    8000000 kB\n")
    assert SystemMemoryProbe(meminfo).free_bytes() == 8000000 * 1024
    assert SystemMemoryProbe().free_bytes() > 0


# ---------------------------------------------------------------- loading outside the lock


def gated_loader(probe, name: str, size: int, started: threading.Event, release: threading.Event):
    load = probe.loader(name, size)

    def slow_load():
        started.set()
        if not release.wait(3):
            raise TimeoutError("the test never released the load")
        return load()

    return slow_load


def test_a_slow_load_blocks_neither_other_models_nor_stats(make_manager):
    manager, probe, clock = make_manager()
    register(manager, probe, {"fast": 10, "other": 10})
    use(manager, clock, "fast", 0.0)
    started, release = threading.Event(), threading.Event()
    manager.register("slow", gated_loader(probe, "slow", 20 * MB, started, release), size_bytes=20 * MB)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        loading = pool.submit(manager.acquire, "slow")
        try:
            assert started.wait(3)
            began = time.monotonic()
            with manager.using("fast") as fast:  # loaded already: no wait for the other load
                assert fast.name == "fast"
            stats = manager.stats()
            with manager.using("other") as other:  # another model loads meanwhile
                assert other.name == "other"
            waited = time.monotonic() - began
            same = pool.submit(manager.acquire, "slow")  # a second user waits for the same load
        finally:
            release.set()
        first, second = loading.result(3), same.result(3)
    assert waited < 0.5
    assert stats["loading"] == ["slow"] and "slow" not in stats["loaded"]
    assert first is second and manager.loaded()["slow"].refcount == 2
    assert manager.stats()["loads"] == 3  # fast, other, slow once


def test_a_load_in_flight_holds_its_budget(make_manager):
    manager, probe, clock = make_manager()
    started, release = threading.Event(), threading.Event()
    manager.register("slow", gated_loader(probe, "slow", 60 * MB, started, release), size_bytes=60 * MB)
    register(manager, probe, {"b": 40})
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        loading = pool.submit(manager.acquire, "slow")
        try:
            assert started.wait(3)
            # 100 MB free on the probe, but 66 MB are promised to the load in flight.
            with pytest.raises(ModelBudgetError, match="loading: \\['slow'\\]"):
                manager.acquire("b")
        finally:
            release.set()
        loading.result(3)


def test_a_failed_load_reaches_every_waiter_and_the_next_acquire_tries_again(make_manager):
    manager, probe, _ = make_manager()
    started, release = threading.Event(), threading.Event()
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            started.set()
            release.wait(3)
            raise OSError("disk hiccup")
        return probe.loader("m", 10 * MB)()

    manager.register("m", flaky, size_bytes=10 * MB)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(manager.acquire, "m")
        assert started.wait(3)
        second = pool.submit(manager.acquire, "m")
        time.sleep(0.1)  # let the second caller start waiting on the first load
        release.set()
        for future in (first, second):
            with pytest.raises(OSError, match="disk hiccup"):
                future.result(3)
    assert manager.stats()["loading"] == [] and not manager.is_loaded("m")
    assert manager.acquire("m").name == "m" and len(attempts) == 2
