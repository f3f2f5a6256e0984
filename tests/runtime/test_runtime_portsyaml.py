"""agent_runtime.portsyaml, the one registry format: the runtime, the scan and the codemod agree on every file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from analyzer import queries
from agent_runtime.ports import load_registry
from agent_runtime.portsyaml import (
    HEADER,
    DuplicateNameError,
    DuplicatePortError,
    PortEntry,
    PortRegistryError,
    merge_registry,
    parse_registry,
    render_registry,
)
from analyzer.config import ConfigError, load_scan_config
from analyzer.configs.deployment import read_deployment
from analyzer.configs.registry import registry_location
from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store
from tests.conftest import write_repo

HAND_WRITTEN = """\
# Main PC ports, kept by hand.
ports:
  TRANSLATOR_AGENT_PUB:      # the translations fan-out
    port: 25580
    machine: main_pc_code
    owner: main_pc_code/agents/translator.py
    socket: pub
    purpose: "translations, for every listener"
  HEALTH_PUB: 25610          # shorthand
  REMOTE_REP:
    port: '25640'
    machine: pc2_code
"""


def test_every_field_and_the_shorthand_are_read_with_their_lines():
    entries = parse_registry(HAND_WRITTEN, "ports.yaml")
    assert list(entries.values()) == [
        PortEntry("TRANSLATOR_AGENT_PUB", 25580, "main_pc_code", "main_pc_code/agents/translator.py", "PUB",
                  "translations, for every listener"),
        PortEntry("HEALTH_PUB", 25610),
        PortEntry("REMOTE_REP", 25640, "pc2_code"),
    ]
    assert [e.line for e in entries.values()] == [3, 9, 10]


@pytest.mark.parametrize(
    ("text", "error", "line", "problem"),
    [
        ("ports:\n  translator-rep: 5563\n", PortRegistryError, 2,
         "port name 'translator-rep' is not UPPER_SNAKE_CASE (write TRANSLATOR_REP)"),
        ("ports:\n  A:\n    port: 1\n    colour: red\n", PortRegistryError, 4,
         "A has an unknown field 'colour' (fields: port, machine, owner, socket, purpose)"),
        ("ports:\n  A: {port: 1, port: 2}\n", DuplicateNameError, 2, "A gives 'port' twice"),
        ("ports:\n  A: 1\n  B: {machine: x}\n", PortRegistryError, 3, "B needs a 'port:' field"),
        ("ports:\n  A: '${OFFSET}+7200'\n", PortRegistryError, 2, "A: port must be an integer, got '${OFFSET}+7200'"),
        ("ports:\n  A: {port: 70000}\n", PortRegistryError, 2, "A: port 70000 is outside 1..65535"),
        ("ports:\n  A: {port: 1, socket: SERVER}\n", PortRegistryError, 2,
         "A: socket 'SERVER' is not a ZeroMQ socket kind (DEALER, PAIR, PUB, PULL, PUSH, REP, REQ, ROUTER, STREAM, "
         "SUB, XPUB, XSUB)"),
        ("ports:\n  A: {port: 1, machine: [a, b]}\n", PortRegistryError, 2, "A: machine must be text"),
        ("ports:\n  A: {port: 1, machine: m}\n  B: {port: 1, machine: m}\n", DuplicatePortError, 3,
         "port 1 is given to both A (line 2) and B on machine 'm'"),
        ("ports:\n  A: 1\n  A: 2\n", DuplicateNameError, 3, "'A' appears twice (lines 2 and 3)"),
        ("ports: [1, 2]\n", PortRegistryError, 1, "'ports:' must be a mapping of NAME to entry"),
        ("services: {}\n", PortRegistryError, 1, "expected a top-level 'ports:' mapping"),
        ("", PortRegistryError, 0, "expected one YAML document with a top-level 'ports:' mapping, found 0"),
        ("ports: {}\n---\nports: {}\n", PortRegistryError, 3,
         "expected one YAML document with a top-level 'ports:' mapping, found 2"),
        ("ports: [\n", PortRegistryError, 2, "not valid YAML: while parsing a flow node, did not find expected node "
                                             "content"),  # libyaml's words
    ],
)
def test_refusals_name_the_line_and_the_problem(text, error, line, problem):
    with pytest.raises(error) as info:
        parse_registry(text, "main_pc_code/config/ports.yaml")
    assert (info.value.line, info.value.problem) == (line, problem)
    where = f"main_pc_code/config/ports.yaml:{line}: " if line else "main_pc_code/config/ports.yaml: "
    assert str(info.value) == where + problem


def test_an_empty_ports_mapping_and_other_top_level_keys_are_fine():
    assert parse_registry("ports:\n") == {}
    assert list(parse_registry("version: 2\nports:\n  A: 1\n")) == ["A"]


def test_render_and_merge_keep_what_was_written():
    fresh = render_registry([PortEntry("A_PUB", 5000, "m", "m/a.py", "PUB", "a: fan-out")])
    assert fresh.startswith(HEADER) and parse_registry(fresh) == {"A_PUB": PortEntry("A_PUB", 5000, "m", "m/a.py",
                                                                                    "PUB", "a: fan-out")}
    new = [PortEntry("B_REP", 5001, "main_pc_code", "main_pc_code/b.py", "REP")]
    merged, note = merge_registry(HAND_WRITTEN, new)
    assert merged.startswith(HAND_WRITTEN) and note == ""
    assert list(parse_registry(merged)) == ["TRANSLATOR_AGENT_PUB", "HEALTH_PUB", "REMOTE_REP", "B_REP"]
    trailing = "ports:\n  OLD: 4000\nother:\n  x: 1\n"
    merged, note = merge_registry(trailing, new, "m/config/ports.yaml")
    assert set(parse_registry(merged)) == {"OLD", "B_REP"} and "comments were not kept" in note
    assert yaml.safe_load(merged)["other"] == {"x": 1}
    with pytest.raises(DuplicatePortError, match="port 25610 is given to both HEALTH_PUB"):
        merge_registry(HAND_WRITTEN, [PortEntry("CLASH", 25610, "main_pc_code")])
    with pytest.raises(PortRegistryError, match="not valid YAML"):
        merge_registry("ports: [\n", new)


# ---------------------------------------------------------------- one file, three readers


def _scanned_entries(repo: Path) -> list[tuple]:
    deployment = read_deployment(repo, load_scan_config(repo), [])
    assert [(f.path, f.parse_status) for f in deployment.files if f.kind == "ports"] == [
        ("main_pc_code/config/ports.yaml", "ok")]
    return [(p.name, p.port, p.machine, p.owner, p.socket, p.line) for p in deployment.registry]


def _runtime_entries(path: Path) -> list[tuple]:
    registry = load_registry(path, env={})
    return [(e.name, e.port, e.machine or "main_pc_code", e.owner or "", e.socket or "", e.line)
            for e in registry.values()]


def test_one_registry_round_trips_through_the_scan_the_codemod_and_the_runtime(tmp_path, monkeypatch):
    repo = write_repo(tmp_path / "repo", {
        "main_pc_code/config/ports.yaml": HAND_WRITTEN,
        "main_pc_code/agents/emotion.py": 'import zmq\ns = zmq.Context().socket(zmq.PUB)\ns.bind("tcp://*:25620")\n',
    })
    registry = repo / "main_pc_code/config/ports.yaml"
    assert _scanned_entries(repo) == _runtime_entries(registry)

    from typer.testing import CliRunner

    from analyzer.cli import app

    result = CliRunner().invoke(app, ["fix", "port-literals", str(repo), "--apply", "--unsafe", "-j", "1"])
    assert result.exit_code == 0, result.output  # every site fixed
    merged = registry.read_text()
    assert merged.startswith(HAND_WRITTEN)  # comments and order kept
    scanned = _scanned_entries(repo)
    assert scanned == _runtime_entries(registry)
    assert scanned[-1] == ("EMOTION_PUB", 25620, "main_pc_code", "main_pc_code/agents/emotion.py", "PUB", 13)
    monkeypatch.chdir(repo / "main_pc_code")
    assert load_registry().port("EMOTION_PUB") == 25620  # found from the machine root, as an agent finds it


REFUSED = {
    "main_pc_code/config/ports.yaml": "ports:\n  translator-rep: {port: 5563}\n",
    "pc2_code/config/ports.yaml": "ports:\n  A: {port: 7000, machine: pc2_code}\n  B: {port: 7000}\n",
    "tools/config/ports.yaml": "ports:\n  A:\n    port: 1\n    colour: red\n",
    "bomb/config/ports.yaml": "ports:\n  A: 1\nlaughs:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                              + "".join(f"  {c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
                                        for p, c in zip("abc", "bcd")),  # 10**4 nodes: over the runtime's 1000
    "ok/config/ports.yaml": "ports:\n  FINE: 7001\n",
}


def test_a_registry_the_runtime_refuses_is_a_config_malformed_finding_with_its_message_and_line(tmp_path):
    repo = write_repo(tmp_path / "repo", REFUSED)
    scan(ScanOptions(repo=repo, store=str(tmp_path / "store"), use_cache=False, jobs=1))
    query = queries.get("config-malformed")
    rows = open_store(str(tmp_path / "store"), read_only=True).query(query.cypher, query.bind()).dicts()
    found = {row["path"]: (row["line"], row["error"], row["message"]) for row in rows}
    expected = {}
    for path in REFUSED:
        try:
            load_registry(repo / path, env={})
        except PortRegistryError as error:
            expected[path] = (error.line, type(error).__name__, error.problem)
    assert sorted(expected) == sorted(p for p in REFUSED if not p.startswith("ok/"))
    assert found == expected
    assert expected["bomb/config/ports.yaml"][2].startswith("not valid YAML: aliases stand for more than")


def test_the_fixture_registries_are_accepted_by_all_three(tmp_path):
    expected = Path(__file__).resolve().parents[2] / "fixtures/port_registry/expected"
    repo = tmp_path / "repo"
    for machine in ("main_pc_code", "pc2_code"):
        shutil.copytree(expected / machine, repo / machine)
    deployment = read_deployment(repo, load_scan_config(repo), [])
    assert {f.parse_status for f in deployment.files} == {"ok"}
    scanned = {(p.path, p.name, p.port) for p in deployment.registry}
    loaded = {(f"{m}/config/ports.yaml", e.name, e.port)
              for m in ("main_pc_code", "pc2_code") for e in load_registry(repo / m / "config/ports.yaml").values()}
    assert scanned == loaded and len(loaded) == 8


@pytest.mark.parametrize(
    ("template", "machine", "expected"),
    [
        (None, "pc2_code", "pc2_code/config/ports.yaml"),
        (None, "", "config/ports.yaml"),  # a tree with no machine folders: one registry at the root
        ("deploy/{machine}/ports.yaml", "main_pc_code", "deploy/main_pc_code/ports.yaml"),
        ("config/ports.yaml", "pc2_code", "config/ports.yaml"),  # one shared registry
        ("/etc/{machine}.yaml", "m", ConfigError),
        ("../{machine}.yaml", "m", ConfigError),
        ("{host}/ports.yaml", "m", ConfigError),
        (5, "m", ConfigError),
    ],
)
def test_where_each_machine_registry_lives(template, machine, expected):
    table = {} if template is None else {"ports_registry": template}
    if expected is ConfigError:
        with pytest.raises(ConfigError, match=r"\[tool.analyzer\] ports_registry"):
            registry_location(table, machine)
    else:
        assert registry_location(table, machine) == expected
