"""Config readers: agent entries in any layout, ports.yaml, compose, .env, values, globs, malformed files."""

from __future__ import annotations

import pytest

from analyzer.config import ConfigError, ScanConfig
from analyzer.configs.deployment import read_deployment
from analyzer.configs.discover import config_globs, find_config_files, glob_regex
from analyzer.configs.values import port_number

BLOCK = """\
core_services:
  - name: A
    script_path: agents/a.py
    port: 5570
    health_check_port: 6570
    required: true
    dependencies:
      - B
      - {name: C}
    params:
      translator_port: "5595"
      peer_host: ${PC2_IP}
"""
INLINE = """\
pc2_services:
  - {name: B, script_path: pc2_code/agents/b.py, port: 5630, dependencies: [A, C]}
  - {script_path: agents/unnamed_agent.py, port: 5631}
"""
MAPPING = """\
agent_groups:
  audio:
    C:
      script_path: agents/c.py
      port: "${PORT_OFFSET}+7200"
      health_port: ${MISSING_VARIABLE}
      dependencies: "A, B"
      required: false
      translator_port: 5595
"""


def _agents(deployment):
    return {a.name: a for a in deployment.agents}


def test_agent_entries_in_lists_inline_and_mappings_with_lines(make_repo):
    repo, config = make_repo({
        "main_pc_code/config/startup_config.yaml": BLOCK + MAPPING,
        "pc2_code/config/startup_config.yml": INLINE,
        ".env": "PORT_OFFSET=5\nPC2_IP=10.0.0.2\n",
    })
    agents = _agents(read_deployment(repo, config, []))
    assert sorted(agents) == ["A", "B", "C", "unnamed_agent"]
    a, b, c = agents["A"], agents["B"], agents["C"]
    assert (a.group, a.line, a.port.port, a.port.line, a.health_port.port, a.required) == ("core_services", 2, 5570, 4, 6570, True)
    assert [(d.name, d.line) for d in a.dependencies] == [("B", 8), ("C", 9)]
    assert [(p.name, p.port, p.line) for p in a.params] == [("translator_port", 5595, 11)]
    assert [(h.key, h.text, h.value) for h in a.hosts] == [("peer_host", "${PC2_IP}", "10.0.0.2")]
    assert (b.machine, b.group, b.line, [d.name for d in b.dependencies]) == ("pc2_code", "pc2_services", 2, ["A", "C"])
    assert (c.group, c.line, c.port.port, c.port.text, c.required) == ("audio", 15, 7205, "${PORT_OFFSET}+7200", False)
    assert c.health_port.port is None and c.health_port.text == "${MISSING_VARIABLE}"
    assert [d.name for d in c.dependencies] == ["A", "B"] and [p.name for p in c.params] == ["translator_port"]


def test_scripts_resolve_from_root_config_folder_machine_root_or_container_path(make_repo):
    repo, config = make_repo({
        "main_pc_code/agents/a.py": "", "main_pc_code/config/local.py": "", "pc2_code/agents/b.py": "",
        "main_pc_code/config/startup_config.yaml": (
            "s:\n  - {name: Root, script_path: pc2_code/agents/b.py}\n  - {name: Machine, script_path: agents/a.py}\n"
            "  - {name: Folder, script_path: ./local.py}\n  - {name: Container, script_path: /app/main_pc_code/agents/a.py}\n"
            "  - {name: Escape, script_path: ../../../etc/passwd}\n  - {name: Gone, script_path: agents/gone.py}\n"
        ),
    })
    modules = {"main_pc_code/agents/a.py", "main_pc_code/config/local.py", "pc2_code/agents/b.py"}
    agents = _agents(read_deployment(repo, config, modules))
    found = {name: (a.script_path, a.runs_module) for name, a in agents.items()}
    assert found == {
        "Root": ("pc2_code/agents/b.py", True), "Machine": ("main_pc_code/agents/a.py", True),
        "Folder": ("main_pc_code/config/local.py", True), "Container": ("main_pc_code/agents/a.py", True),
        "Escape": ("", False), "Gone": ("", False),
    }


def test_a_script_that_exists_but_is_not_scanned_is_found_without_runs(make_repo):
    repo, config = make_repo({"main_pc_code/run.sh": "#!/bin/sh\n",
                              "main_pc_code/config/startup_config.yaml": "a:\n  - {name: S, script_path: run.sh}\n"})
    agent = read_deployment(repo, config, []).agents[0]
    assert (agent.script_found, agent.runs_module, agent.script_path) == (True, False, "main_pc_code/run.sh")


def test_dependencies_prefer_the_same_machine_and_cycles_are_canonical(make_repo):
    repo, config = make_repo({
        "main_pc_code/config/startup_config.yaml": "a:\n  - {name: Z, script_path: z.py, dependencies: [Y, Ghost]}\n"
                                                   "  - {name: Y, script_path: y.py, dependencies: [X]}\n"
                                                   "  - {name: X, script_path: x.py, dependencies: [Z, Shared]}\n"
                                                   "  - {name: Self, script_path: s.py, dependencies: [Self]}\n",
        "pc2_code/config/startup_config.yaml": "a:\n  - {name: Shared, script_path: s.py}\n  - {name: X, script_path: x.py}\n",
    })
    deployment = read_deployment(repo, config, [])
    names = [f"{a.machine}:{a.name}" for a in deployment.agents]
    cycles = [[names[i] for i in c.members] for c in deployment.cycles]
    assert cycles == [["main_pc_code:Self"], ["main_pc_code:X", "main_pc_code:Z", "main_pc_code:Y"]]
    z = _agents(deployment)["Z"]
    assert z.undeclared == ["Ghost"]
    x_main = next(a for a in deployment.agents if a.name == "X" and a.machine == "main_pc_code")
    assert [names[i] for i, _line in x_main.depends_on] == ["main_pc_code:Z", "pc2_code:Shared"]


def test_hosts_that_name_the_other_machine(make_repo):
    repo, config = make_repo({
        ".env": "MAIN_PC_IP=192.168.1.16\nPC2_IP=192.168.1.17\n",
        "main_pc_code/config/startup_config.yaml": (
            "a:\n  - {name: ByVar, script_path: a.py, pc2_host: '${PC2_IP}'}\n"
            "  - {name: ByAddress, script_path: a.py, host: 192.168.1.17}\n"
            "  - {name: Local, script_path: a.py, host: 0.0.0.0, main_pc_ip: '${MAIN_PC_IP}'}\n"
        ),
    })
    agents = _agents(read_deployment(repo, config, []))
    assert {n: a.points_to for n, a in agents.items()} == {"ByVar": ["pc2_code"], "ByAddress": ["pc2_code"], "Local": []}


def test_ports_yaml_compose_and_env(make_repo):
    repo, config = make_repo({
        "config/ports.yaml": "ports:\n  TRANSLATOR_REP: {port: 5563, machine: main_pc_code, owner: a.py, socket: rep}\n"
                             "  HEALTH_PUB: 5610\n",
        "docker-compose.yml": "services:\n  sync:\n    environment:\n      - SYNC_PORT=5651\n      - PLAIN\n"
                              "    ports: ['5650:5650', '127.0.0.1:${HOST_PORT:-5655}:5655/tcp', {target: 5660, published: 8000}]\n"
                              "  web:\n    environment: {WEB_PORT: '8080', MODE: fast}\n",
        "pc2_code/.env.example": "export PC2_PORT=7000  # the default\nQUOTED='x y'\n# SKIPPED=1\nnot a line\n",
    })
    deployment = read_deployment(repo, config, [])
    assert [(p.name, p.port, p.machine, p.owner, p.socket, p.line) for p in deployment.registry] == [
        ("TRANSLATOR_REP", 5563, "main_pc_code", "a.py", "REP", 2), ("HEALTH_PUB", 5610, "", "", "", 3)]
    assert [(p.agent, p.port, p.line) for p in deployment.compose_ports] == [("sync", 5650, 6), ("sync", 5655, 6), ("sync", 5660, 6)]
    assert {(v.name, v.value, v.source, v.machine) for v in deployment.env} == {
        ("SYNC_PORT", "5651", "compose", ""), ("WEB_PORT", "8080", "compose", ""), ("MODE", "fast", "compose", ""),
        ("PC2_PORT", "7000", "env", "pc2_code"), ("QUOTED", "x y", "env", "pc2_code")}
    assert sorted((p.name, p.port) for p in deployment.env_ports) == [("PC2_PORT", 7000), ("SYNC_PORT", 5651), ("WEB_PORT", 8080)]


@pytest.mark.parametrize("raw, expected", [
    (5563, 5563), ("5563", 5563), ("${OFFSET}+7200", 7210), ("${UNSET:-100}+1", 101), ("$OFFSET", 10),
    ("${UNSET}", None), (True, None), (None, None), (0, None), (70000, None), ("0x15bb", None), ("7200-${OFFSET}", 7190),
])
def test_port_values(raw, expected):
    assert port_number(raw, {"OFFSET": "10"}.get) == expected


@pytest.mark.parametrize("content, kind, line", [
    ("a:\n  - name: X\n\tport: 1\n", "ScannerError", 3),
    ("a: [1, 2\nb: 3\n", "ParserError", 2),
    ("a: 'unclosed\n", "ScannerError", 2),
    ("a: 1\n  b: 2\n", "ScannerError", 2),
    (b"a: \xff\xfe\n", "UnicodeDecodeError", 1),
])
def test_malformed_files_are_reported_not_raised(make_repo, content, kind, line):
    repo, config = make_repo({"main_pc_code/config/startup_config.yaml": content,
                              "pc2_code/config/startup_config.yaml": "a:\n  - {name: Ok, script_path: ok.py}\n"})
    deployment = read_deployment(repo, config, [])
    broken = deployment.files[0]
    assert (broken.parse_status, broken.error_kind, broken.error_line) == ("error", kind, line)
    assert broken.error_message and "\n" not in broken.error_message
    assert [a.name for a in deployment.agents] == ["Ok"]


def test_documents_that_are_valid_yaml_of_the_wrong_shape_are_tolerated(make_repo):
    repo, config = make_repo({
        "main_pc_code/config/startup_config.yaml": "- just\n- a list\n---\nports: 7\n---\n",
        "config/ports.yaml": "ports: [1, 2]\n",
        "docker-compose.yml": "services: nope\n",
    })
    deployment = read_deployment(repo, config, [])
    # A registry of the wrong shape is refused by the runtime, so the scan refuses it too (tests/runtime).
    assert [(f.path, f.parse_status) for f in deployment.files] == [
        ("config/ports.yaml", "error"), ("docker-compose.yml", "ok"), ("main_pc_code/config/startup_config.yaml", "ok")]
    assert (deployment.agents, deployment.registry, deployment.compose_ports) == ([], [], [])


@pytest.mark.parametrize("pattern, path, matches", [
    ("**/startup_config*.y*ml", "startup_config.yaml", True),
    ("**/startup_config*.y*ml", "main_pc_code/config/startup_config_v2.yml", True),
    ("**/startup_config*.y*ml", "main/startup_config/other.yaml", False),
    ("**/.env*", "deploy/.env.production", True),
    ("config/*.yaml", "config/sub/x.yaml", False),
    ("config/**", "config/sub/x.yaml", True),
    ("**/ports.y?ml", "a/ports.yaml", True),
    ("**/[!.]*.env", "x/prod.env", True),
])
def test_globs(pattern, path, matches):
    assert bool(glob_regex(pattern).match(path)) is matches


def test_globs_are_configurable_per_kind(make_repo):
    repo, _config = make_repo({"deploy/agents.yaml": "a: 1\n", "main_pc_code/config/startup_config.yaml": "a: 1\n", ".env": "A=1\n"})
    config = ScanConfig(raw={"config_globs": {"startup": ["deploy/*.yaml"], "env": []}})
    assert [(s.path, kind) for s, kind in find_config_files(repo, config)] == [("deploy/agents.yaml", "startup")]
    for bad in ({"config_globs": ["x"]}, {"config_globs": {"nope": []}}, {"config_globs": {"env": "x"}}):
        with pytest.raises(ConfigError):
            config_globs(ScanConfig(raw=bad))
