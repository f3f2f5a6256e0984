"""Each config query on one small repository built to hold, per query, cases it must flag and cases it must not.

The fixture repository (test_fixture_config.py) checks the planted findings;
this repository adds the near misses: same port on two machines, a backup copy,
a machine without a startup config, a dependency declared on the other machine...
"""

from __future__ import annotations

import pytest

from analyzer import queries
from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store
from tests.conftest import write_repo

BIND = 'import zmq\ns = zmq.Context().socket(zmq.REP)\ns.bind("tcp://*:{port}")\n'
MAIN = '\n\nif __name__ == "__main__":\n    pass\n'
FILES = {
    # main_pc_code: configured, with a startup config
    "main_pc_code/agents/good.py": BIND.format(port=7000) + 's.bind("tcp://*:7099")\n',  # binds its port and another
    "main_pc_code/agents/wrong.py": BIND.format(port=7111),  # config says 7010
    "main_pc_code/agents/health_only.py": BIND.format(port=7021),  # binds only its health port
    "main_pc_code/agents/dynamic.py": 'import zmq\ns = zmq.Context().socket(zmq.REP)\ns.bind(addr)\n',
    "main_pc_code/agents/stray.py": BIND.format(port=7300),  # in no config: unregistered
    "main_pc_code/agents/stray_main.py": "x = 1" + MAIN,  # a main loop, no socket: unregistered
    "main_pc_code/agents/client_only.py": 'import zmq\nzmq.Context().socket(zmq.REQ).connect("tcp://h:7000")\n',
    "main_pc_code/agents/stray_backup.py": BIND.format(port=7300),  # a backup copy: left out
    "main_pc_code/agents/tests/test_stray.py": BIND.format(port=7301),  # a test: left out
    "main_pc_code/run.sh": "#!/bin/sh\n",
    "main_pc_code/config/startup_config.yaml": """\
services:
  - {name: Good, script_path: agents/good.py, port: 7000, health_check_port: 7000, dependencies: [Wrong]}
  - {name: Wrong, script_path: agents/wrong.py, port: 7010, dependencies: [Remote]}
  - {name: HealthOnly, script_path: agents/health_only.py, port: 7020, health_check_port: 7021}
  - {name: Dynamic, script_path: agents/dynamic.py, port: 7030, health_check_port: 7010, dependencies: [Ghost, Good]}
  - {name: Shell, script_path: run.sh, port: 7040, host: localhost}
  - {name: Gone, script_path: agents/gone.py, port: 7050, pc2_host: "${PC2_IP}"}
""",
    # pc2_code: a startup config that reuses main's ports (no collision across machines)
    "pc2_code/agents/remote.py": BIND.format(port=7000),
    "pc2_code/config/startup_config.yaml": "a:\n  - {name: Remote, script_path: pc2_code/agents/remote.py, port: 7000, dependencies: [Wrong]}\n",
    # tools: no startup config on this machine, so its agents are not "unregistered"
    "tools/agents/helper.py": BIND.format(port=7400) + MAIN,
    "tools/config/ports.yaml": "ports: {A: 1\n",
    ".env": "PC2_IP=10.0.0.2\n",
}
ROOTS = ["main_pc_code", "pc2_code", "tools"]
MAIN_CONFIG = "main_pc_code/config/startup_config.yaml"
PC2_CONFIG = "pc2_code/config/startup_config.yaml"
EXPECTED = {  # query id -> the columns named in the first row -> every row, in the query's order
    "config-missing-script": [("path", "line", "agent"), (MAIN_CONFIG, 7, "Gone")],
    "config-unregistered-agent": [("path", "binds", "main_guard"),
                                  ("main_pc_code/agents/stray.py", 1, False), ("main_pc_code/agents/stray_main.py", 0, True)],
    "config-port-collision": [("line", "agent", "declared_as", "other_agent", "other_declared_as", "port", "agents"),
                              (3, "Wrong", "port", "Dynamic", "health_check_port", 7010, 2)],
    "config-port-conflict": [("path", "line", "agent", "declared_as", "config_port", "code_port", "code_port_source",
                              "config_line"),
                             ("main_pc_code/agents/wrong.py", 3, "Wrong", "port", 7010, 7111, "literal", 3)],
    "config-undeclared-dependency": [("agent", "undeclared"), ("Dynamic", "Ghost")],
    "config-dependency-cycles": [("members", "size", "machines", "line"),
                                 ("Remote,Wrong", 2, "main_pc_code,pc2_code", 2)],
    "config-cross-machine-dependencies": [
        ("path", "line", "agent", "via", "depends_on", "other_machine", "host_points_to"),
        (MAIN_CONFIG, 3, "Wrong", "dependency", "Remote", "pc2_code", ""),
        (MAIN_CONFIG, 7, "Gone", "host", "", "pc2_code", "pc2_code"),
        (PC2_CONFIG, 2, "Remote", "dependency", "Wrong", "main_pc_code", ""),
    ],
    "config-malformed": [("path", "line", "kind", "error"), ("tools/config/ports.yaml", 2, "ports", "PortRegistryError")],  # the runtime reads registries
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    base = tmp_path_factory.mktemp("config-queries")
    repo = write_repo(base / "repo", {**FILES, "pyproject.toml": f"[tool.analyzer]\nroots = {ROOTS!r}\n"})
    scan(ScanOptions(repo=repo, store=str(base / "store"), use_cache=False, jobs=1))
    return open_store(str(base / "store"), read_only=True)


@pytest.mark.parametrize("query_id", sorted(EXPECTED))
def test_config_query_flags_exactly_the_planted_cases(store, query_id):
    query = queries.get(query_id)
    fields, *rows = EXPECTED[query_id]
    result = store.query(query.cypher, query.bind())
    assert result.columns == list(query.columns)
    assert [tuple(row[f] for f in fields) for row in result.dicts()] == rows


@pytest.mark.parametrize("query_id", sorted(EXPECTED))
def test_config_queries_are_located_and_sorted(query_id):
    query = queries.get(query_id)
    assert {"path", "line"} <= set(query.columns)
    assert "ORDER BY" in query.cypher and query.severity in queries.SEVERITIES
