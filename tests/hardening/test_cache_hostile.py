"""The facts cache runs no code from anyone, trusts no entry it cannot verify, and lives outside the scanned tree."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import msgpack
import pytest

from analyzer.cache import FACTS_VERSION, SIGNATURE_BYTES, FactCache, default_cache_dir, signature
from analyzer.codec import DeferredMap, DeferredValue, EntryError, decoder, encoder
from analyzer.config import ScanConfig
from analyzer.discover import list_files
from analyzer.config import DEFAULT_MAX_FILE_BYTES
from analyzer.extract import extract_file
from analyzer.facts import FileFacts
from analyzer.inputs import source_hashes
from analyzer.narrowing.model import RaiseFacts
from analyzer.scan import ScanOptions, collect_facts, scan
from tests.conftest import FIXTURE_REPO, write_repo
from tests.hardening.hostile import cli, pickle_payload

AGENT = "import zmq\nimport os\n\nclass Agent:\n    def run(self):\n        pass\n"


def _planted_entry_names(data: bytes) -> list[str]:
    sha = hashlib.sha256(data).hexdigest()
    folder = f".analyzer/cache/{FACTS_VERSION}/{sha[:2]}"
    return [f"{folder}/{sha}-{DEFAULT_MAX_FILE_BYTES}.pickle", f"{folder}/{sha}-{DEFAULT_MAX_FILE_BYTES}.msgpack",
            f".analyzer/cache/{FACTS_VERSION}/{FACTS_VERSION}/{sha[:2]}/{sha}-{DEFAULT_MAX_FILE_BYTES}.msgpack"]


def _user_env(home: Path) -> dict[str, str]:
    """The environment of a user with no cache settings: the defaults decide where the cache goes."""
    env = {k: v for k, v in os.environ.items() if k not in ("ANALYZER_CACHE_DIR", "XDG_CACHE_HOME")}
    return {**env, "HOME": str(home)}


@pytest.mark.slow
def test_a_cache_entry_planted_in_the_repository_never_runs(tmp_path):
    marker = tmp_path / "payload-ran"
    repo = write_repo(tmp_path / "repo", {"agents/a.py": AGENT})
    payload = pickle_payload(marker)
    write_repo(repo, {name: payload for name in _planted_entry_names(AGENT.encode())})
    home = tmp_path / "home"
    env = _user_env(home)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    # CI's command, run from the checkout with the defaults: the planted folder is neither the cache nor read.
    for command in (["scan", ".", "--json"], ["check", "."]):
        result = cli(*command, cwd=repo, env=env)
        assert result.returncode in (0, 1), result.stderr
    assert not marker.exists(), "the planted pickle was loaded"
    report = json.loads(cli("scan", ".", "--json", cwd=repo, env=env, check=True).stdout)
    assert (report["parsed"], report["cache_hits"]) == (0, 1)  # the hit is our own entry, in the user's cache
    assert list((home / ".cache" / "agent-graph-analyzer" / FACTS_VERSION).rglob("*.msgpack"))
    # Even pointed at the planted folder, the cache only reads msgpack data: the payload is a miss, parsed again.
    forced = json.loads(cli("scan", ".", "--json", "--cache-dir", ".analyzer/cache", cwd=repo, env=env, check=True).stdout)
    assert (forced["parsed"], forced["cache_hits"], forced["imports_external"]) == (1, 0, 2)
    assert not marker.exists()


def test_the_default_cache_is_a_per_user_folder_outside_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("ANALYZER_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "agent-graph-analyzer"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "agent-graph-analyzer"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "agent-graph-analyzer"
    monkeypatch.setenv("ANALYZER_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"


def _entry(cache_dir: Path, data: bytes) -> Path:
    sha = hashlib.sha256(data).hexdigest()
    return cache_dir / FACTS_VERSION / sha[:2] / f"{sha}-{DEFAULT_MAX_FILE_BYTES}.msgpack"


DAMAGE = {
    "garbage": b"\xc1\xc1 not msgpack at all",
    "not UTF-8": msgpack.packb({"format": 1, "key": b"\xff"}) + b"\xa2\xff\xfe",
    "truncated": None,  # the real entry, cut in half
    "wrong shape": msgpack.packb({"format": 1, "version": FACTS_VERSION, "key": "x", "value": {"path": 3}}),
    "deep nesting": b"\x91" * 100_000 + b"\xc0",
    "an extension type": msgpack.packb(msgpack.ExtType(1, b"payload")),
    "a pickle": pickle_payload(Path("/nonexistent/marker")),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_entry_is_a_miss_and_a_put_overwrites_it(tmp_path, damage):
    facts = extract_file("agents/a.py", AGENT.encode())
    cache = FactCache(tmp_path / "cache")
    cache.put(facts, DEFAULT_MAX_FILE_BYTES)
    entry = _entry(tmp_path / "cache", AGENT.encode())
    real = entry.read_bytes()
    entry.write_bytes(real[: len(real) // 2] if DAMAGE[damage] is None else DAMAGE[damage])
    assert cache.get(facts.sha256, DEFAULT_MAX_FILE_BYTES) is None
    cache.put(facts, DEFAULT_MAX_FILE_BYTES)
    assert entry.read_bytes() == real and cache.get(facts.sha256, DEFAULT_MAX_FILE_BYTES) == facts


def test_an_entry_this_user_did_not_sign_is_a_miss(tmp_path):
    facts = extract_file("agents/a.py", AGENT.encode())
    cache = FactCache(tmp_path / "cache")
    cache.put(facts, DEFAULT_MAX_FILE_BYTES)
    entry = _entry(tmp_path / "cache", AGENT.encode())
    body = entry.read_bytes()[SIGNATURE_BYTES:]
    entry.write_bytes(signature(body, key=b"another user's key".ljust(32, b"!")) + body)
    assert cache.get(facts.sha256, DEFAULT_MAX_FILE_BYTES) is None
    entry.write_bytes(signature(body) + body)  # the same body under this user's signature: a hit
    assert cache.get(facts.sha256, DEFAULT_MAX_FILE_BYTES) == facts


def test_raise_facts_are_decoded_when_used(tmp_path):
    source = "def f(x):\n    return int(x)\n\ndef g():\n    try:\n        f('1')\n    except Exception:\n        pass\n"
    facts = extract_file("agents/a.py", source.encode())
    cache = FactCache(tmp_path / "cache")
    cache.put(facts, DEFAULT_MAX_FILE_BYTES)
    cached = cache.get(facts.sha256, DEFAULT_MAX_FILE_BYTES)
    assert type(cached.raising) is DeferredValue and cached.raising == facts.raising  # packed until used
    functions = cached.raising.functions
    assert type(functions) is DeferredMap and sorted(functions) == ["f", "g"] and "f" in functions
    assert functions["f"] == facts.raising.functions["f"] and functions.get("missing") is None
    assert cached == facts
    cached.raising.forget()  # a pass done with them frees the decoded form; asked again, they decode again
    assert cached.raising.functions is not functions and cached.raising.functions == functions
    # Only the codec's own output may be deferred: a packed value that does not fit fails where it is read.
    data = list(encoder(RaiseFacts)(facts.raising))  # an array of the fields, in declaration order
    data[_at(RaiseFacts, "functions")] = {**data[_at(RaiseFacts, "functions")], "f": msgpack.packb({"qualname": 3})}
    damaged = decoder(RaiseFacts)(msgpack.unpackb(msgpack.packb(data), use_list=False))
    assert damaged.functions["g"] == facts.raising.functions["g"]
    with pytest.raises(EntryError):
        damaged.functions["f"]
    data[_at(RaiseFacts, "functions")] = {"f": {"qualname": "f"}}
    with pytest.raises(EntryError):  # a map whose values are not packed values is refused when it is decoded
        decoder(RaiseFacts)(msgpack.unpackb(msgpack.packb(data), use_list=False))
    entry = list(encoder(FileFacts)(facts))
    entry[_at(FileFacts, "raising")] = msgpack.packb({"functions": 3})
    later = decoder(FileFacts)(msgpack.unpackb(msgpack.packb(entry), use_list=False))
    assert later.path == "agents/a.py"
    with pytest.raises(EntryError):
        later.raising.handlers
    entry[_at(FileFacts, "raising")] = {"functions": {}}
    with pytest.raises(EntryError):  # a deferred value that is not packed is refused when it is decoded
        decoder(FileFacts)(msgpack.unpackb(msgpack.packb(entry), use_list=False))


def _at(cls: type, name: str) -> int:
    """Where the codec's array of a `cls` holds the field `name`."""
    return [field.name for field in dataclasses.fields(cls)].index(name)


def test_a_fact_item_of_the_wrong_shape_or_types_is_refused():
    facts = extract_file("agents/a.py", AGENT.encode())
    encoded = encoder(FileFacts)(facts)
    assert decoder(FileFacts)(msgpack.unpackb(msgpack.packb(encoded), use_list=False)) == facts
    imports = _at(FileFacts, "imports")
    for damage in ([], ["zmq"], [*encoded[imports][0], "extra"]):  # no fields, too few, one too many
        entry = list(encoded)
        entry[imports] = [damage]
        with pytest.raises(EntryError):
            decoder(FileFacts)(msgpack.unpackb(msgpack.packb(entry), use_list=False))
    first = list(encoded[imports][0])
    first[_at(type(facts.imports[0]), "line")] = "1"  # a str where the line number goes
    entry = list(encoded)
    entry[imports] = [first]
    with pytest.raises(EntryError):
        decoder(FileFacts)(msgpack.unpackb(msgpack.packb(entry), use_list=False))
    entry[_at(FileFacts, "path")] = 7
    with pytest.raises(EntryError):
        decoder(FileFacts)(msgpack.unpackb(msgpack.packb(entry), use_list=False))


def test_a_scan_parses_a_file_whose_entry_is_damaged_and_repairs_the_entry(tmp_path):
    repo = write_repo(tmp_path / "repo", {"agents/a.py": AGENT})
    cache_dir = tmp_path / "cache"
    config = ScanConfig()
    sources = list_files(repo, config)
    first, _ = collect_facts(repo, sources, source_hashes(repo, sources), config, 1, str(cache_dir))
    entry = _entry(cache_dir, AGENT.encode())
    real = entry.read_bytes()
    entry.write_bytes(b"\x80 garbage")
    again, hits = collect_facts(repo, sources, source_hashes(repo, sources), config, 1, str(cache_dir))
    assert (hits, again) == (0, first)
    assert entry.read_bytes() == real
    assert collect_facts(repo, sources, source_hashes(repo, sources), config, 1, str(cache_dir))[1] == 1


def test_new_damaged_and_cached_files_together_give_the_facts_of_a_scan_without_cache(tmp_path):
    files = {"agents/a.py": AGENT, "agents/b.py": "import json\n", "agents/c.py": "import sys\n"}
    repo = write_repo(tmp_path / "repo", files)
    cache_dir, config = tmp_path / "cache", ScanConfig()
    sources = list_files(repo, config)
    hashes = source_hashes(repo, sources)
    uncached, _ = collect_facts(repo, sources, hashes, config, 2, None)
    collect_facts(repo, sources, hashes, config, 2, str(cache_dir))
    _entry(cache_dir, files["agents/a.py"].encode()).unlink()  # a new file: parsed before the others are decoded
    _entry(cache_dir, files["agents/b.py"].encode()).write_bytes(b"\x80 garbage")  # refused when read: parsed after
    calls: list[tuple[int, int]] = []
    facts, hits = collect_facts(repo, sources, hashes, config, 2, str(cache_dir), lambda *call: calls.append(call))
    assert (facts, hits) == (uncached, 1)
    assert calls[0] == (0, 1) and calls[-1] == (2, 2)  # the total grows when the damaged entry is found


def test_a_directory_in_place_of_an_entry_is_a_miss(tmp_path):
    repo = write_repo(tmp_path / "repo", {"agents/a.py": AGENT})
    entry = _entry(tmp_path / "cache", AGENT.encode())
    entry.mkdir(parents=True)
    sources = list_files(repo, ScanConfig())
    facts, hits = collect_facts(repo, sources, source_hashes(repo, sources), ScanConfig(), 1, str(tmp_path / "cache"))
    assert hits == 0 and [f.imports[0].module for f in facts] == ["zmq"]


def test_swapped_entries_are_misses_not_wrong_facts(tmp_path):
    files = {"agents/a.py": AGENT, "agents/b.py": "import json\n"}
    repo = write_repo(tmp_path / "repo", files)
    cache_dir = tmp_path / "cache"
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(cache_dir), jobs=1)
    scan(options)
    one, two = (_entry(cache_dir, text.encode()) for text in files.values())
    first, second = one.read_bytes(), two.read_bytes()
    one.write_bytes(second)
    two.write_bytes(first)
    report = scan(replace(options, store=str(tmp_path / "fresh-store")))  # no unchanged snapshot: facts are read
    assert (report.parsed, report.cache_hits, report.imports_external) == (2, 0, 3)  # zmq, os, json: each file's own


def test_the_codec_round_trips_every_fixture_file_facts():
    for path in sorted(FIXTURE_REPO.rglob("*.py")):
        facts = extract_file(path.relative_to(FIXTURE_REPO).as_posix(), path.read_bytes())
        data = msgpack.packb(encoder(FileFacts)(facts))
        assert decoder(FileFacts)(msgpack.unpackb(data, use_list=False)) == facts, path


def test_tagged_values_name_only_fact_classes():
    with pytest.raises(EntryError):  # a tag may only name a dataclass of the modules the facts come from
        decoder(tuple)({"@": "os.system", "command": "touch x"})
    assert decoder(tuple)((("call", ("here", "f"), ()), 1, None)) == (("call", ("here", "f"), ()), 1, None)


@pytest.mark.slow  # git, scan and check end to end
def test_scan_and_check_leave_git_status_clean(tmp_path, monkeypatch):
    from analyzer.check.run import CheckOptions, run_check

    repo = write_repo(tmp_path / "repo", {"agents/a.py": AGENT})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], check=True)
    monkeypatch.chdir(repo)
    scan(ScanOptions(repo=repo, jobs=1, cache_dir=".analyzer/cache"))  # the default store, and a cache in the tree
    run_check(CheckOptions(repo=repo, jobs=1))
    assert (repo / ".analyzer" / ".gitignore").read_text().splitlines()[-1] == "*"
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""
