"""Config reading cached by content: a warm read equals a cold one, parses no YAML, and follows .env changes."""

from __future__ import annotations

from analyzer.configs import deployment as deployment_module
from analyzer.configs.deployment import read_deployment

FILES = {
    "main_pc_code/config/startup_config.yaml": "s:\n  - {name: A, script_path: agents/a.py, port: '${OFFSET}+7000', dependencies: [B]}\n"
                                               "  - {name: B, script_path: agents/b.py, port: 7001, dependencies: [A]}\n",
    "main_pc_code/agents/a.py": "",
    "pc2_code/config/startup_config.yaml": "s:\n  - name: X\n\tport: 1\n",
    "config/ports.yaml": "ports: {X_REP: 7100}\n",
    "docker-compose.yml": "services:\n  a:\n    environment: {A_PORT: '7200'}\n    ports: ['${OFFSET}7:7']\n",
    ".env": "OFFSET=1\n",
}


def _summary(deployment):
    agents = [(a.name, a.port.port, a.script_path, a.depends_on, a.undeclared) for a in deployment.agents]
    files = [(f.path, f.parse_status, f.error_line) for f in deployment.files]
    ports = [(p.name, p.port) for p in deployment.declared_ports()]
    return agents, files, ports, [c.members for c in deployment.cycles]


def test_a_warm_read_equals_a_cold_one_without_parsing_yaml(make_repo, tmp_path, monkeypatch):
    repo, config = make_repo(FILES)
    cache = str(tmp_path / "cache")
    cold = _summary(read_deployment(repo, config, ["main_pc_code/agents/a.py"], cache))
    composed = []
    original = deployment_module.compose_bounded_yaml
    monkeypatch.setattr(deployment_module, "compose_bounded_yaml", lambda text: composed.append(text) or original(text))
    warm = _summary(read_deployment(repo, config, ["main_pc_code/agents/a.py"], cache))
    assert warm == cold
    assert cold[0][0][1] == 7001  # ${OFFSET}+7000 with OFFSET=1
    assert composed == [FILES["pc2_code/config/startup_config.yaml"]]  # only the malformed file, reported again


def test_an_environment_change_is_not_served_from_the_cache(make_repo, tmp_path):
    repo, config = make_repo(FILES)
    cache = str(tmp_path / "cache")
    read_deployment(repo, config, [], cache)
    (repo / ".env").write_text("OFFSET=5\n")
    deployment = read_deployment(repo, config, [], cache)
    assert [a.port.port for a in deployment.agents] == [7005, 7001]
    assert [p.port for p in deployment.compose_ports] == [7]
