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


def test_adapter_cypher_names_only_schema_labels_and_types():
    labels = {t.name for t in NODE_TABLES} | {adapter.LEASE_LABEL}
    statements = [*adapter.schema_statements(), *(adapter.node_statement(t) for t in NODE_TABLES),
                  *(adapter.rel_statement(r) for r in REL_TABLES), adapter.ACQUIRE_LEASE, adapter.SWITCH_CURRENT,
                  adapter.LEFTOVER_SNAPSHOTS, adapter.CURRENT_SNAPSHOTS, adapter.delete_statement("Module")]
    used = {name for s in statements for name in re.findall(r"\(\w+:(\w+)", s)}
    assert used <= labels
    types = {name for s in statements for name in re.findall(r"\[\w+:(\w+)\]", s)}
    assert types == {r.name for r in REL_TABLES}
    with pytest.raises(ValueError):
        adapter._name("Module) DETACH DELETE (x")


PACKAGE = "@neo4j-cypher/language-support"
LINT = """
const { lintCypherQuery } = require(process.argv[1] + '/@neo4j-cypher/language-support');
const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const [id, text] of Object.entries(texts)) {
  out[id] = lintCypherQuery('CYPHER 5 ' + text, {}).diagnostics
    .filter(d => !/^Parameter \\$\\w+ is not defined/.test(d.message))
    .filter(d => !/^CALL subquery without a variable scope clause is deprecated/.test(d.message))
    .map(d => d.message);
}
console.log(JSON.stringify(out));
"""


@pytest.mark.slow
def test_adapter_statements_pass_the_neo4j_linter():
    """Every statement the adapter sends. `CALL { WITH n ... }` stays: `CALL (n) {}` needs Neo4j 5.23+."""
    modules = Path(os.environ.get("CYPHER_LINT_MODULES", ROOT / ".tools" / "node_modules"))
    node = shutil.which("node")
    if node is None or not (modules / PACKAGE / "package.json").is_file():
        pytest.skip(f"needs node and {PACKAGE} (set CYPHER_LINT_MODULES to its node_modules folder)")
    texts = {f"schema{i}": s for i, s in enumerate(adapter.schema_statements())}
    texts |= {f"node:{t.name}": adapter.node_statement(t) for t in NODE_TABLES}
    texts |= {f"rel:{r.name}": adapter.rel_statement(r) for r in REL_TABLES}
    texts |= {name: getattr(adapter, name) for name in ("ACQUIRE_LEASE", "RENEW_LEASE", "RELEASE_LEASE",
                                                        "SWITCH_CURRENT", "LEFTOVER_SNAPSHOTS", "CURRENT_SNAPSHOTS")}
    texts["delete"] = adapter.delete_statement("Module")
    texts["bad"] = "MATCH (n RETURN n"  # the harness must report a broken statement
    result = subprocess.run([node, "-e", LINT, str(modules)], input=json.dumps(texts), capture_output=True,
                            text=True, timeout=120, check=True)
    diagnostics = json.loads(result.stdout)
    assert diagnostics.pop("bad")
    assert diagnostics == {name: [] for name in texts if name != "bad"}
