"""One generated repository holding every hostile input at once: scanned in under 60 s on 2 cores, each one
reported, nothing planted runs, no secret comes out, and another repository's snapshot in the same store is
untouched."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from analyzer.cache import FACTS_VERSION
from agent_runtime.boundedyaml import DEFAULT_MAX_BYTES as MAX_YAML_BYTES
from analyzer.config import DEFAULT_MAX_FILE_BYTES
from analyzer.store.ladybug import CURRENT, LadybugStore
from tests.conftest import write_repo
from tests.hardening.hostile import (
    RECURSIVE_ALIAS, PLANTED, alias_bomb, call_chain, cli, deep_expression, pickle_payload, slow_file,
)
from tests.hardening.test_secrets import HIDING_PLACES

NORMAL = "import zmq\n\nctx = zmq.Context()\nsock = ctx.socket(zmq.PUB)\nsock.bind('tcp://*:{port}')\n"


def _hostile_tree(root: Path, marker: Path) -> Path:
    files: dict[str, str | bytes] = {
        **HIDING_PLACES,
        "pyproject.toml": HIDING_PLACES["pyproject.toml"] + "[tool.analyzer]\nmax_file_seconds = 5\nmax_file_bites = 1\n",
        "main_pc_code/agents/deep5000.py": deep_expression(5000),
        "main_pc_code/agents/deep250.py": deep_expression(250),
        "main_pc_code/agents/chain1000.py": call_chain(1000),
        "main_pc_code/agents/chain5000.py": call_chain(5000),
        "main_pc_code/agents/slow.py": slow_file(),
        "pc2_code/config/startup_config.yaml": alias_bomb(),
        "pc2_code/config/ports.yaml": alias_bomb(),
        "pc2_code/docker-compose.yml": RECURSIVE_ALIAS,
        "deploy/startup_config_huge.yaml": "k: v\n" * (MAX_YAML_BYTES // 5 + 1),
        **{f"pc2_code/agents/agent{i}.py": NORMAL.format(port=6000 + i) for i in range(40)},
    }
    repo = write_repo(root, files)
    with open(os.path.join(os.fsencode(repo), b"pc2_code/agents/bad\xffname.py"), "wb") as handle:
        handle.write(b"import json\n")
    os.symlink("/etc/passwd", repo / "pc2_code" / "agents" / "passwd.py")
    data = files["main_pc_code/agents/chain1000.py"].encode()
    sha = hashlib.sha256(data).hexdigest()
    write_repo(repo, {f".analyzer/cache/{FACTS_VERSION}/{sha[:2]}/{sha}-{DEFAULT_MAX_FILE_BYTES}.{suffix}":
                      pickle_payload(marker) for suffix in ("pickle", "json")})
    return repo


def _tree(folder: Path) -> dict[str, tuple[str, float]]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_everything_hostile_at_once(tmp_path):
    marker = tmp_path / "payload-ran"
    repo = _hostile_tree(tmp_path / "hostile", marker)
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if k not in ("ANALYZER_CACHE_DIR", "XDG_CACHE_HOME")}
    env["HOME"] = str(tmp_path / "home")
    bystander = write_repo(tmp_path / "bystander", {"agents/a.py": NORMAL.format(port=7000)})
    cli("scan", str(bystander), "--store", str(store), "--repo", "team a", env=env, check=True)
    untouched = _tree(store / "team%20a")
    damaged = store / "team_a"
    damaged.mkdir()
    (damaged / CURRENT).write_text("team_a@20200101T000000-000000\n")  # a previous snapshot that is gone

    started = time.perf_counter()
    result = cli("scan", ".", "--store", str(store), "--repo", "team_a", "--jobs", "2", "--json", cwd=repo, env=env)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    print(f"\nhostile tree scanned in {seconds:.1f} s")
    assert seconds < 60

    report = json.loads(result.stdout)
    kinds = {f["path"]: f["kind"] for f in report["parse_failures"]}
    assert kinds.pop("main_pc_code/agents/chain1000.py") in ("TooDeep", "TooSlow")
    assert kinds == {"main_pc_code/agents/deep5000.py": "TooDeep", "main_pc_code/agents/deep250.py": "TooDeep",
                     "main_pc_code/agents/chain5000.py": "TooDeep", "main_pc_code/agents/slow.py": "TooSlow"}
    assert report["config_errors"] == ["deploy/startup_config_huge.yaml", "pc2_code/config/ports.yaml",
                                       "pc2_code/config/startup_config.yaml", "pc2_code/docker-compose.yml"]
    assert report["outside_links"] == ["pc2_code/agents/passwd.py"]
    assert report["settings_warnings"][0].startswith("pyproject.toml: [tool.analyzer] max_file_bites is not a setting")
    assert len(report["store_repairs"]) == 1 and "team_a" in report["store_repairs"][0]
    assert report["files"] == 47 and report["endpoints"] == 41  # 40 agents, the bridge, 5 hostile, bad\xffname.py
    assert not marker.exists()
    assert PLANTED not in result.stdout

    reader = LadybugStore(store, read_only=True)
    try:
        paths = [row[0] for row in reader.query("MATCH (m:Module {snapshot: $snapshot}) RETURN m.path",
                                                repository="team_a").rows]
        endpoints = reader.query("MATCH (e:Endpoint) RETURN e.endpoint, e.host", repository="team_a").rows
        assert reader.query("MATCH (m:Module {snapshot: $snapshot}) RETURN m.path",
                            repository="team a").rows == [["agents/a.py"]]
    finally:
        reader.close()
    assert "pc2_code/agents/bad\\xffname.py" in paths and PLANTED not in repr(endpoints)
    assert _tree(store / "team%20a") == untouched
