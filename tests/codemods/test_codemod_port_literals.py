"""port-literals: no literal port left, every endpoint resolves to what it was, stable names, merged registry."""

from __future__ import annotations

import libcst as cst
import pytest
import yaml

from analyzer.extract import extract_file
from codemods.base import apply_to_source, parse_checked
from codemods.port_literals import PortLiterals, PortSite, name_ports
from codemods.ports_file import RegistryEntry, merge, read_entries

REGISTRY = "config/ports.yaml"


class _ResolvePorts(cst.CSTTransformer):
    """Replace get_port("NAME") by the registered number; fold f-strings left with only text."""

    def __init__(self, ports: dict[str, int]) -> None:
        super().__init__()
        self.ports = ports

    def leave_Call(self, original_node, updated_node):
        if isinstance(updated_node.func, cst.Name) and updated_node.func.value == "get_port":
            name = updated_node.args[0].value.evaluated_value
            return cst.Integer(str(self.ports[name]))
        return updated_node

    def leave_FormattedString(self, original_node, updated_node):
        parts = updated_node.parts
        if not all(isinstance(p, cst.FormattedStringText) or isinstance(p.expression, cst.Integer) for p in parts):
            return updated_node
        text = "".join(
            p.value.replace("{{", "{").replace("}}", "}") if isinstance(p, cst.FormattedStringText)
            else p.expression.value
            for p in parts
        )
        prefix = updated_node.prefix.replace("f", "").replace("F", "")
        return cst.SimpleString(f"{prefix}{updated_node.start[-1]}{text}{updated_node.end}")


def _resolved(code: bytes, ports: dict[str, int]) -> bytes:
    return cst.parse_module(code).visit(_ResolvePorts(ports)).bytes


def _endpoints(path: str, data: bytes) -> list[tuple]:
    facts = extract_file(path, data)
    return [(e.action, e.scheme, e.host, e.port, e.socket_variable) for e in facts.endpoints]


def _registry(root) -> dict[str, dict]:
    return yaml.safe_load((root / REGISTRY).read_text())["ports"]


def test_apply_leaves_no_literal_port_and_endpoints_resolve_to_the_originals(agent_tree, cli, layout) -> None:
    parsable = [p for p in layout.sources if p not in layout.unparsable]
    before = layout.read(agent_tree, parsable)
    literal_before = sum(
        1 for p in parsable for e in extract_file(p, before[p]).endpoints if e.port_source in ("literal", "constant")
    )
    assert literal_before >= 9

    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    assert result.exit_code == 0, result.output
    after = layout.read(agent_tree, parsable)
    registry = _registry(agent_tree)
    ports = {name: entry["port"] for name, entry in registry.items()}

    for path in parsable:
        parse_checked(after[path], path)
        left = [e for e in extract_file(path, after[path]).endpoints if e.port_source in ("literal", "constant")]
        assert left == [], f"{path}: {left}"
        assert _endpoints(path, _resolved(after[path], ports)) == _endpoints(path, before[path]), path

    # Unchanged: ports from default arguments, env defaults, ipc endpoints.
    assert after["main_pc_code/agents/configurable.py"] == before["main_pc_code/agents/configurable.py"]
    assert f"{literal_before} site(s) fixed" in result.stderr
    assert "comes from a default argument" in result.stderr

    again = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    assert again.exit_code == 0, again.output
    assert layout.read(agent_tree, parsable) == after
    assert _registry(agent_tree) == registry


def test_registry_entries_name_owner_machine_and_socket(agent_tree, cli) -> None:
    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    registry = _registry(agent_tree)
    # Two modules bind 5556 on main_pc_code: one name (the first owner in path order), so the registry stays valid.
    assert registry["DUPLICATE_PUBLISHER_PUB"] == {
        "port": 5556, "machine": "main_pc_code", "owner": "main_pc_code/agents/duplicate_publisher.py", "socket": "PUB",
    }
    assert registry["TRANSLATOR_REP"]["port"] == 5557
    assert registry["EMOTION_PUB"] == {
        "port": 5620, "machine": "pc2_code", "owner": "pc2_code/agents/emotion.py", "socket": "PUB",
    }
    assert [n for n, e in registry.items() if e["port"] == 5556] == ["DUPLICATE_PUBLISHER_PUB"]
    publisher = (agent_tree / "main_pc_code/agents/duplicate_publisher.py").read_text()
    assert 's.bind("tcp://*:" + f"{get_port(\'DUPLICATE_PUBLISHER_PUB\')}")' in publisher
    translator = (agent_tree / "main_pc_code/agents/translator.py").read_text()
    assert "self.pub.bind(f\"tcp://*:{get_port('DUPLICATE_PUBLISHER_PUB')}\")" in translator
    assert "bound by 2 modules" in result.stderr
    # A connect to a remote host reads the name of the agent that binds the port on the other machine.
    listener = (agent_tree / "pc2_code/agents/listener.py").read_text()
    assert "req.connect(f'tcp://192.168.1.2:{get_port(\"TRANSLATOR_REP\")}')" in listener
    assert "sub.connect(f'tcp://{host}:{get_port(\"EMOTION_PUB\")}')" in listener
    memory = (agent_tree / "main_pc_code/agents/memory.py").read_text()
    assert "MEMORY_ENDPOINT = f\"tcp://*:{get_port('MEMORY_REP')}\"" in memory
    assert 'sub.connect("tcp://localhost:%d" % get_port("DUPLICATE_PUBLISHER_PUB"))' in memory
    assert memory.startswith("import zmq\nfrom runtime.ports import get_port\n")


def test_registry_is_valid_for_the_runtime(agent_tree, cli) -> None:
    ports = pytest.importorskip("runtime.ports")
    cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    registry = ports.load_registry(agent_tree / REGISTRY, env={})
    assert registry.port("DUPLICATE_PUBLISHER_PUB") == 5556
    assert registry.port("TRANSLATOR_REP") == 5557


def test_existing_registry_names_are_kept_and_comments_survive(agent_tree, cli) -> None:
    (agent_tree / "config").mkdir()
    existing = (
        "# hand-written\nports:\n    TRANSLATOR_PUBLISHER:   # renamed by ops\n        port: 5556\n"
        "        owner: main_pc_code/agents/translator.py\n        machine: main_pc_code\n"
        "    UNRELATED:\n        port: 7000\n"
    )
    (agent_tree / REGISTRY).write_text(existing)
    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "--allow-dirty", "-j", "1")
    assert result.exit_code == 0, result.output
    text = (agent_tree / REGISTRY).read_text()
    assert text.startswith(existing)  # appended, comments and order kept
    assert "    TRANSLATOR_REP:\n        port: 5557\n" in text
    assert "TRANSLATOR_PUB:" not in text
    translator = (agent_tree / "main_pc_code/agents/translator.py").read_text()
    assert "get_port('TRANSLATOR_PUBLISHER')" in translator


def _site(path: str, line: int, action: str, port: int, kind: str = "", host: str = "*", rewritable=True) -> PortSite:
    return PortSite(path, line, 0, action, port, kind, host, rewritable)


def test_names_are_deterministic_and_deduplicated() -> None:
    sites = [
        _site("pc2_code/agents/translator.py", 5, "bind", 6001, "PUB"),
        _site("main_pc_code/agents/translator.py", 9, "bind", 6002, "PUB"),
        _site("main_pc_code/agents/translator.py", 3, "bind", 6000, "PUB"),
        _site("main_pc_code/agents/__init__.py", 3, "connect", 6100),
        _site("main_pc_code/agents/main.py", 3, "bind", 6200, "REP"),
    ]
    names, entries, _ = name_ports(sites, {})
    assert [names[s] for s in sites] == [
        "TRANSLATOR_PUB_3", "TRANSLATOR_PUB_2", "TRANSLATOR_PUB", "AGENTS_CONNECT", "AGENTS_MAIN_REP",
    ]
    assert name_ports(list(reversed(sites)), {})[0] == names
    assert [e.name for e in entries] == ["AGENTS_CONNECT", "AGENTS_MAIN_REP", "TRANSLATOR_PUB", "TRANSLATOR_PUB_2",
                                        "TRANSLATOR_PUB_3"]


def test_connects_join_the_binder_and_fixed_binders_name_the_port() -> None:
    fixed = _site("main_pc_code/agents/model_manager.py", 20, "bind", 5570, "REP", rewritable=False)
    local = _site("main_pc_code/agents/router.py", 4, "connect", 5570, "DEALER", host="localhost")
    names, entries, _ = name_ports([fixed, local], {})
    assert names == {local: "MODEL_MANAGER_REP"}
    owner = "main_pc_code/agents/model_manager.py"
    assert entries == [RegistryEntry("MODEL_MANAGER_REP", 5570, "main_pc_code", owner, "REP")]
    only_fixed = name_ports([fixed], {})
    assert only_fixed[0] == {} and only_fixed[1] == []


def test_same_port_on_two_machines_gets_two_names_and_remote_connects_pick_the_other_machine() -> None:
    main = _site("main_pc_code/a.py", 1, "bind", 5000, "PUB")
    pc2 = _site("pc2_code/b.py", 1, "bind", 5000, "PUB")
    remote = _site("main_pc_code/c.py", 1, "connect", 5000, "SUB", host="192.168.1.2")
    local = _site("main_pc_code/d.py", 1, "connect", 5000, "SUB", host="localhost")
    names, _, _ = name_ports([main, pc2, remote, local], {})
    assert names == {main: "A_PUB", pc2: "B_PUB", remote: "B_PUB", local: "A_PUB"}


def test_existing_entry_with_the_same_port_and_machine_is_reused() -> None:
    existing = {"LEGACY": RegistryEntry("LEGACY", 5000, "main_pc_code", "main_pc_code/old.py")}
    site = _site("main_pc_code/a.py", 1, "bind", 5000, "PUB")
    names, entries, _ = name_ports([site], existing)
    assert names == {site: "LEGACY"} and entries == []
    machineless = {"ANY": RegistryEntry("ANY", 5000)}
    other = _site("pc2_code/b.py", 1, "bind", 5000, "PUB")
    names, entries, _ = name_ports([site, other], machineless)
    assert set(names.values()) == {"ANY"} and entries == []


def test_merge_appends_or_redumps() -> None:
    new = [RegistryEntry("A_PUB", 5000, "main_pc_code", "main_pc_code/a.py", "PUB")]
    fresh, note = merge(None, new)
    assert read_entries(fresh) == {"A_PUB": new[0]} and note == ""
    trailing = "ports:\n  OLD: 4000\nother:\n  x: 1\n"
    merged, note = merge(trailing, new)
    assert set(read_entries(merged)) == {"OLD", "A_PUB"} and "comments were not kept" in note
    assert yaml.safe_load(merged)["other"] == {"x": 1}
    no_ports, note = merge("# empty\n", new)
    assert no_ports.startswith("# empty\nports:\n") and note == ""
    with pytest.raises(Exception, match="not valid YAML"):
        merge("ports: [\n", new)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param('import zmq\ns.bind(r"tcp://*:5556")\n',
                     'import zmq\nfrom runtime.ports import get_port\ns.bind(rf"tcp://*:{get_port(\'A_BIND\')}")\n',
                     id="raw string"),
        pytest.param("import zmq\ns.bind('''tcp://*:5556''')\n",
                     "import zmq\nfrom runtime.ports import get_port\ns.bind(f'''tcp://*:{get_port(\"A_BIND\")}''')\n",
                     id="triple quotes"),
        pytest.param('import zmq\ns.connect("tcp://{%s}:5556" % h)\n',
                     'import zmq\nfrom runtime.ports import get_port\n'
                     's.connect(f"tcp://{{%s}}:{get_port(\'A_CONNECT\')}" % h)\n',
                     id="braces in the text are escaped"),
        pytest.param('import zmq\ndef get_port():\n    pass\ns.bind("tcp://*:5556")\n',
                     'import zmq\nfrom runtime.ports import get_port as registry_port\ndef get_port():\n    pass\n'
                     's.bind(f"tcp://*:{registry_port(\'A_BIND\')}")\n',
                     id="a local get_port is not shadowed"),
        pytest.param('import zmq\nPORT = "5556"\ns.bind("tcp://*:" + PORT)\n',
                     'import zmq\nfrom runtime.ports import get_port\nPORT = "5556"\n'
                     's.bind("tcp://*:" + str(get_port("A_BIND")))\n',
                     id="a str operand of + stays a str"),
    ],
)
def test_string_shapes(before: str, after: str) -> None:
    result = apply_to_source(PortLiterals(), before, "main_pc_code/a.py")
    assert result.code == after


def test_endpoint_constant_assigned_twice_is_left_with_a_note() -> None:
    code = 'import zmq\nEP = "tcp://*:5556"\nif x:\n    EP = "tcp://*:5557"\ns.bind(EP)\n'
    result = apply_to_source(PortLiterals(), code, "main_pc_code/a.py")
    assert result.code == code
