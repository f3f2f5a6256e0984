"""The Neo4j setup files users run (`docker compose up -d`, the CI workflow) and the adapter's own Cypher.

`docker compose config` cannot run here (no Docker engine), so the compose file's
structure is checked after a YAML load; the adapter's statements go through
Neo4j's linter when node and @neo4j-cypher/language-support are installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from analyzer.store import neo4j as adapter
from analyzer.schema import NODE_TABLES, REL_TABLES

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_neo4j_5_community_with_browser_bolt_volume_and_healthcheck():
    compose = _compose()
    service = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5(\.\d+)*-community", service["image"])
    published = {port.rsplit(":", 2)[-2] + ":" + port.rsplit(":", 1)[-1] for port in service["ports"]}
    assert published == {"7474:7474", "7687:7687"}
    volume, target = service["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]  # a named volume
    health = service["healthcheck"]
    assert health["test"][0] == "CMD-SHELL" and "7474" in health["test"][1]
    assert {"interval", "timeout", "retries", "start_period"} <= set(health)


def test_compose_takes_auth_from_the_env_file_and_sizes_memory_for_a_laptop():
    environment = _compose()["services"]["neo4j"]["environment"]
    assert environment["NEO4J_AUTH"].startswith("${NEO4J_AUTH:?")  # from .env, with a clear error when unset
    sizes = {k: v for k, v in environment.items() if "memory" in k}
    assert set(sizes) == {"NEO4J_server_memory_heap_initial__size", "NEO4J_server_memory_heap_max__size",
                          "NEO4J_server_memory_pagecache_size"}
    to_mib = {"m": 1, "g": 1024}
    assert sum(int(v[:-1]) * to_mib[v[-1].lower()] for v in sizes.values()) <= 4096
    # Only settings and NEO4J_AUTH reach the container: the image reads NEO4J_* variables as settings.
    assert all(k == "NEO4J_AUTH" or k.startswith("NEO4J_server_") for k in environment)


def test_env_example_holds_only_the_auth_placeholder():
    lines = [line for line in (ROOT / ".env.example").read_text().splitlines() if line and not line.startswith("#")]
    assert lines == ["NEO4J_AUTH=neo4j/change-me-please"]


def test_ci_workflow_runs_the_suite_against_a_neo4j_service():
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    assert {"NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"} <= set(workflow["env"])
    test = workflow["jobs"]["test"]
    assert test["services"]["neo4j"]["image"].startswith("neo4j:5")
    user, password = test["services"]["neo4j"]["env"]["NEO4J_AUTH"].split("/")
    assert (user, password) == (workflow["env"]["NEO4J_USER"], workflow["env"]["NEO4J_PASSWORD"])
    commands = " ".join(step.get("run", "") for step in test["steps"])
    assert 'pip install -e ".[dev]"' in commands and "pytest" in commands
    assert "-m" not in commands.split("pytest", 1)[1].split()  # the whole suite, neo4j and slow included
    finalize = workflow["jobs"]["scan-finalize"]
    assert finalize["needs"] == "scan-shard"
    assert workflow["jobs"]["scan-shard"]["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert "--finalize" in " ".join(step.get("run", "") for step in finalize["steps"])


BOOKKEEPING = ("ACQUIRE_LEASE", "RENEW_LEASE", "RELEASE_LEASE", "SWITCH_CURRENT", "REPOSITORY_SOURCE",
               "REGISTER_READER", "UNREGISTER_READER", "LIVE_READERS", "LEFTOVER_SNAPSHOTS", "CURRENT_SNAPSHOTS")


def _adapter_statements() -> dict[str, str]:
    """Every statement the adapter sends, by name."""
    texts = {f"schema{i}": s for i, s in enumerate(adapter.schema_statements())}
    texts |= {f"node:{t.name}": adapter.node_statement(t) for t in NODE_TABLES}
    texts |= {f"rel:{r.name}": adapter.rel_statement(r) for r in REL_TABLES}
    texts |= {f"delete{i}": s for i, s in enumerate(adapter.delete_statements())}
    return texts | {name: getattr(adapter, name) for name in BOOKKEEPING}


def test_adapter_cypher_names_only_schema_labels_and_types():
    labels = {t.name for t in NODE_TABLES} | {adapter.LEASE_LABEL, adapter.READER_LABEL}
    statements = _adapter_statements().values()
    used = {name for s in statements for name in re.findall(r"\(\w*:(\w+)", s)}
    assert used <= labels
    types = {name for s in statements for name in re.findall(r"\[\w+:(\w+)\]", s)}
    assert types == {r.name for r in REL_TABLES}
    with pytest.raises(ValueError):
        adapter._name("Module) DETACH DELETE (x")


def test_a_snapshot_is_deleted_relationships_first_and_its_snapshot_node_last():
    statements = adapter.delete_statements()
    kinds = ["rel" if "-[r:" in s else "node" for s in statements]
    assert kinds == ["rel"] * len(REL_TABLES) + ["node"] * (len(NODE_TABLES) - 1)  # every table but Repository
    assert "(n:Module " in statements[-2] and "(n:Snapshot " in statements[-1]
    assert all("CALL (" in s and "IN TRANSACTIONS OF $rows ROWS" in s for s in statements)


PACKAGE = "@neo4j-cypher/language-support"
LINT = """
const { lintCypherQuery } = require(process.argv[1] + '/@neo4j-cypher/language-support');
const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const [id, text] of Object.entries(texts)) {
  out[id] = lintCypherQuery('CYPHER 5 ' + text, {}).diagnostics
    .filter(d => !/^Parameter \\$\\w+ is not defined/.test(d.message))
    .map(d => d.message);
}
console.log(JSON.stringify(out));
"""


def _one_per_shape(texts: dict[str, str]) -> dict[str, str]:
    """The statements with different text once label, type and property names are set aside: the linter
    (about a second a statement here) learns nothing from the thirtieth `UNWIND ... CREATE` of another label."""
    names = {t.name for t in NODE_TABLES} | {r.name for r in REL_TABLES}
    names |= {c for t in NODE_TABLES for c in t.columns} | {p for r in REL_TABLES for p in r.properties}
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(sorted(names, key=len, reverse=True)) + r")(?![A-Za-z0-9])")
    shapes: dict[str, tuple[str, str]] = {}
    for name, text in texts.items():
        shapes.setdefault(pattern.sub("X", text), (name, text))
    return dict(shapes.values())


@pytest.mark.slow
def test_adapter_statements_pass_the_neo4j_linter():
    """Every statement the adapter sends, deprecations included (the linter reports them as warnings)."""
    modules = Path(os.environ.get("CYPHER_LINT_MODULES", ROOT / ".tools" / "node_modules"))
    node = shutil.which("node")
    if node is None or not (modules / PACKAGE / "package.json").is_file():
        pytest.skip(f"needs node and {PACKAGE} (set CYPHER_LINT_MODULES to its node_modules folder)")
    texts = _one_per_shape(_adapter_statements())
    texts["bad"] = "MATCH (n RETURN n"  # the harness must report a broken statement
    result = subprocess.run([node, "-e", LINT, str(modules)], input=json.dumps(texts), capture_output=True,
                            text=True, timeout=120, check=True)
    diagnostics = json.loads(result.stdout)
    assert diagnostics.pop("bad")
    assert diagnostics == {name: [] for name in texts if name != "bad"}
