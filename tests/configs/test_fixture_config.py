"""The fixture repository's deployment configs: every planted config problem is found, exactly.

expected.json's "config" key is hand-written from the fixture's config files
(fixtures/agent_system/{main_pc_code,pc2_code}/config/, config/ports.yaml,
docker-compose.yml, .env); each finding lists only the columns it pins down.
"""

from __future__ import annotations

import json

import pytest

from analyzer import queries
from analyzer.store import open_store
from tests.conftest import FIXTURE_REPO

EXPECTED = json.loads((FIXTURE_REPO / "expected.json").read_text())["config"]


@pytest.fixture(scope="module")
def store(scanned_fixture):
    folder, _report = scanned_fixture
    return open_store(str(folder), read_only=True)


def test_summary_counts_where_ports_come_from(scanned_fixture):
    _folder, report = scanned_fixture
    assert {name: getattr(report, name) for name in EXPECTED["summary"]} == EXPECTED["summary"]
    assert (report.config_files, report.configured_agents) == (EXPECTED["files"], EXPECTED["configured_agents"])
    assert report.config_errors == [f["path"] for f in EXPECTED["findings"]["config-malformed"]]


def test_configured_agents_and_files_are_in_the_graph(store):
    agents = store.query("MATCH (a:ConfiguredAgent {snapshot: $snapshot}) RETURN count(a)").rows
    files = store.query("MATCH (f:ConfigFile {snapshot: $snapshot}) RETURN count(f)").rows
    assert (agents, files) == ([[EXPECTED["configured_agents"]]], [[EXPECTED["files"]]])


def test_config_resolved_endpoints_carry_port_and_origin(store):
    rows = store.query(
        "MATCH (e:Endpoint {snapshot: $snapshot})-[:PORT_FROM]->(p:ConfigPort) "
        "RETURN e.path, e.line, e.port, e.port_source, e.port_origin, p.port, p.path, p.line ORDER BY e.path, e.line"
    ).rows
    # The origin is where the number is written: the declared port's own file and line (`port + 1` is computed from it).
    found = [[*row[:6], f"{row[6]}:{row[7]}"] for row in rows]
    expected = [[e["path"], e["line"], e["port"], e["port_source"], e["port_origin"], e["declared_port"], e["port_origin"]]
                for e in EXPECTED["resolved_endpoints"]]
    assert found == sorted(expected)


def test_every_endpoint_says_where_its_port_came_from(store):
    rows = store.query("MATCH (e:Endpoint {snapshot: $snapshot}) RETURN e.port IS NULL, e.port_origin").rows
    assert all((origin == "") == no_port for no_port, origin in rows)


def test_runs_edges_reach_modules_and_missing_scripts_have_none(store):
    rows = store.query(
        "MATCH (a:ConfiguredAgent {snapshot: $snapshot}) "
        "RETURN a.name, a.script_found, COUNT { MATCH (a)-[:RUNS]->(m:Module) } ORDER BY a.name"
    ).rows
    missing = {f["agent"] for f in EXPECTED["findings"]["config-missing-script"]}
    assert {name for name, found, _runs in rows if not found} == missing
    assert all(runs == (1 if found else 0) for _name, found, runs in rows)


@pytest.mark.parametrize("query_id", sorted(EXPECTED["findings"]))
def test_planted_config_findings(store, query_id):
    query = queries.get(query_id)
    result = store.query(query.cypher, query.bind())
    expected = EXPECTED["findings"][query_id]
    fields = list(expected[0])
    found = sorted(tuple(row[f] for f in fields) for row in result.dicts())
    assert found == sorted(tuple(item[f] for f in fields) for item in expected)


def test_every_config_query_is_checked_here():
    shipped = {q.id for q in queries.load_all() if q.id.startswith("config-")}
    assert shipped == set(EXPECTED["findings"])
