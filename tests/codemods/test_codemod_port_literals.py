"""port-literals: every endpoint resolves to what it was, names after the binder, per-machine registries."""

from __future__ import annotations

import libcst as cst
import pytest
import yaml

from analyzer.endpoints import resolve_file_endpoints
from analyzer.extract import extract_file
from agent_graph_codemods.base import apply_to_source, parse_checked
from agent_runtime.ports import load_registry
from agent_runtime.portsyaml import PortEntry
from analyzer.configs.model import ConfiguredAgent, DeclaredPort
from agent_graph_codemods.port_literals import PortLiterals, PortSite, name_ports


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
    return [(e.fact.action, e.fact.scheme, e.fact.host, e.port, e.fact.socket_variable) for e in _resolve(path, data)]


def _resolve(path: str, data: bytes):
    """The file's endpoints resolved from the file alone, as the codemod sees them."""
    return resolve_file_endpoints(extract_file(path, data))


MAIN_REGISTRY, PC2_REGISTRY = "main_pc_code/config/ports.yaml", "pc2_code/config/ports.yaml"
COLLISION = 5556  # bound by translator.py and duplicate_publisher.py, both live, both on main_pc_code


def _registry(root, path: str = MAIN_REGISTRY) -> dict[str, dict]:
    return yaml.safe_load((root / path).read_text())["ports"]


def test_apply_leaves_only_the_collision_and_endpoints_resolve_to_the_originals(agent_tree, cli, layout) -> None:
    parsable = [p for p in layout.sources if p not in layout.unparsable]
    before = layout.read(agent_tree, parsable)
    literal_before = [
        (p, e.port) for p in parsable for e in _resolve(p, before[p]) if e.source in ("literal", "constant")
    ]
    assert len(literal_before) >= 9

    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    assert result.exit_code == 1, result.output  # every site fixed but the collision, which is left as it is
    after = layout.read(agent_tree, parsable)

    for path in parsable:
        parse_checked(after[path], path)
        left = [e.port for e in _resolve(path, after[path]) if e.source in ("literal", "constant")]
        assert left == [p for f, p in literal_before if f == path and p == COLLISION], path
        registry = _registry(agent_tree, MAIN_REGISTRY if path.startswith("main_pc_code/") else PC2_REGISTRY)
        ports = {name: entry["port"] for name, entry in registry.items()}
        assert _endpoints(path, _resolved(after[path], ports)) == _endpoints(path, before[path]), path

    # Unchanged: the collision's binds and its connect, default arguments, env defaults, ipc endpoints.
    for path in ("main_pc_code/agents/configurable.py", "main_pc_code/agents/duplicate_publisher.py"):
        assert after[path] == before[path]
    rewritten = len(literal_before) - sum(1 for _, port in literal_before if port == COLLISION)
    assert f"{rewritten} site(s) fixed" in result.stderr
    assert "comes from a default argument" in result.stderr
    assert f"port {COLLISION} on main_pc_code is bound by 2 live modules" in result.stderr

    again = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    assert again.exit_code == 1, again.output  # nothing more to fix; the collision is still left
    assert layout.read(agent_tree, parsable) == after


def test_each_machine_registry_holds_what_its_code_reads(agent_tree, cli) -> None:
    cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    translator_rep = {"port": 5557, "machine": "main_pc_code", "owner": "main_pc_code/agents/translator.py",
                      "socket": "REP"}
    assert _registry(agent_tree, MAIN_REGISTRY) == {
        "MEMORY_REP": {"port": 5560, "machine": "main_pc_code", "owner": "main_pc_code/agents/memory.py",
                       "socket": "REP"},
        "TRANSLATOR_REP": translator_rep,  # named after the binding class, Translator
    }
    assert _registry(agent_tree, PC2_REGISTRY) == {
        "TRANSLATOR_REP": translator_rep,  # the main PC's port, connected to from pc2
        "EMOTION_PUB": {"port": 5620, "machine": "pc2_code", "owner": "pc2_code/agents/emotion.py", "socket": "PUB"},
    }
    listener = (agent_tree / "pc2_code/agents/listener.py").read_text()
    assert "req.connect(f'tcp://192.168.1.2:{get_port(\"TRANSLATOR_REP\")}')" in listener
    assert "sub.connect(f'tcp://{host}:{get_port(\"EMOTION_PUB\")}')" in listener
    memory = (agent_tree / "main_pc_code/agents/memory.py").read_text()
    assert "MEMORY_ENDPOINT = f\"tcp://*:{get_port('MEMORY_REP')}\"" in memory
    assert 'sub.connect("tcp://localhost:%d" % 5556)' in memory  # a connect to the collision: left
    assert memory.startswith("import zmq\nfrom agent_runtime import get_port\n")
    for machine in ("main_pc_code", "pc2_code"):
        requirements = (agent_tree / machine / "requirements.txt").read_text()
        assert requirements.startswith("agent-graph-runtime>=0.1.0  # ")


def test_registries_are_valid_for_the_runtime(agent_tree, cli) -> None:
    cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    main = load_registry(agent_tree / MAIN_REGISTRY, env={})
    assert (main.port("MEMORY_REP"), main.port("TRANSLATOR_REP")) == (5560, 5557)
    assert load_registry(agent_tree / PC2_REGISTRY, env={})["TRANSLATOR_REP"].machine == "main_pc_code"


def test_existing_registry_names_are_kept_and_comments_survive(agent_tree, cli) -> None:
    (agent_tree / "main_pc_code/config").mkdir(parents=True)
    existing = (
        "# hand-written\nports:\n    TRANSLATOR_REQUESTS:   # renamed by ops\n        port: 5557\n"
        "        owner: main_pc_code/agents/translator.py\n        machine: main_pc_code\n"
        "    UNRELATED:\n        port: 7000\n"
    )
    (agent_tree / MAIN_REGISTRY).write_text(existing)
    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "--allow-dirty", "-j", "1")
    assert result.exit_code == 1, result.output  # the collision on 5556 is left as it is
    text = (agent_tree / MAIN_REGISTRY).read_text()
    assert text.startswith(existing)  # appended, comments and order kept
    assert "    MEMORY_REP:\n        port: 5560\n" in text
    assert "TRANSLATOR_REP:" not in text
    assert "get_port('TRANSLATOR_REQUESTS')" in (agent_tree / "main_pc_code/agents/translator.py").read_text()
    # The other machine reads the same name for the same port.
    assert "TRANSLATOR_REQUESTS" in _registry(agent_tree, PC2_REGISTRY)


def test_a_registry_the_runtime_refuses_stops_the_codemod(agent_tree, cli) -> None:
    (agent_tree / "main_pc_code/config").mkdir(parents=True)
    (agent_tree / MAIN_REGISTRY).write_text("ports:\n  translator-rep: 5557\n")
    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    assert result.exit_code == 2
    assert "main_pc_code/config/ports.yaml:2: port name 'translator-rep' is not UPPER_SNAKE_CASE" in result.stderr
    assert (agent_tree / MAIN_REGISTRY).read_text() == "ports:\n  translator-rep: 5557\n"


def _site(path: str, line: int, action: str, port: int, kind: str = "", host: str = "*", class_name: str = "",
          rewritable=True) -> PortSite:
    return PortSite(path, line, 0, action, port, kind, host, class_name, rewritable)


def _agent(name: str, script: str, port: int | None = None, health: int | None = None,
           machine: str = "main_pc_code") -> ConfiguredAgent:
    config = f"{machine}/config/startup_config.yaml"

    def declared(value, kind):
        return None if value is None else DeclaredPort(kind, kind, value, str(value), config, machine, 1, name)

    agent = ConfiguredAgent(name, config, machine, 1, "agents", script, "", declared(port, "port"),
                            declared(health, "health_check_port"), True)
    agent.script_path = f"{machine}/{script}"
    return agent


def test_names_come_from_the_startup_config_then_the_class_then_the_module() -> None:
    by_config = _site("main_pc_code/agents/mm.py", 3, "bind", 5570, "REP", class_name="Loader")
    health = _site("main_pc_code/agents/mm.py", 4, "bind", 6570, "REP", class_name="Loader")
    by_class = _site("main_pc_code/agents/tts.py", 3, "bind", 5600, "PUB", class_name="TextToSpeech")
    by_module = _site("main_pc_code/agents/__init__.py", 3, "bind", 6100)
    agents = [_agent("ModelManagerAgent", "agents/mm.py", 5570, 6570)]
    naming = name_ports([by_config, health, by_class, by_module], agents=agents)
    assert naming.names == {by_config: "MODEL_MANAGER_AGENT_REP", health: "MODEL_MANAGER_AGENT_HEALTH",
                            by_class: "TEXT_TO_SPEECH_PUB", by_module: "AGENTS_BIND"}
    assert name_ports([by_config, health, by_class, by_module][::-1], agents=agents) == naming


def test_a_connected_port_is_never_named_after_the_connecting_module() -> None:
    first = _site("main_pc_code/agents/asr/streaming.py", 9, "connect", 5570, "REQ", host="localhost")
    second = _site("main_pc_code/agents/translator.py", 9, "connect", 5570, "REQ", host="localhost")
    fixed = _site("main_pc_code/agents/mm.py", 20, "bind", 5570, "REP", rewritable=False, class_name="MM")
    agents = [_agent("ModelManagerAgent", "agents/mm.py", 5570)]
    # Bound with a number the codemod leaves (a default argument): that agent names the port.
    assert set(name_ports([first, second, fixed], agents=agents).names.values()) == {"MODEL_MANAGER_AGENT_REP"}
    # Bound where the code cannot tell (the launcher passes the port): the config's agent declaring it names it.
    naming = name_ports([first, second], agents=[_agent("ModelManagerAgent", "agents/gone.py", 5570)])
    assert set(naming.names.values()) == {"MODEL_MANAGER_AGENT_REP"}
    assert naming.entries == [PortEntry("MODEL_MANAGER_AGENT_REP", 5570, "main_pc_code", "main_pc_code/agents/gone.py",
                                        "REP", "ModelManagerAgent in main_pc_code/config/startup_config.yaml")]
    # Bound by nothing anyone knows: no name, left as it is.
    nothing = name_ports([first, second])
    assert nothing.names == {} and "no live module binds it" in nothing.notes[0]


def test_copies_and_tests_neither_bind_nor_collide() -> None:
    live = _site("main_pc_code/agents/translator.py", 5, "bind", 5580, "PUB", class_name="Translator")
    copy = _site("main_pc_code/agents/translator_backup.py", 5, "bind", 5580, "PUB", class_name="Translator")
    test = _site("main_pc_code/tests/test_translator.py", 5, "bind", 5580, "PUB")
    naming = name_ports([copy, test, live])
    assert naming.notes == [] and set(naming.names.values()) == {"TRANSLATOR_PUB"}
    only_copy = name_ports([copy])
    assert only_copy.names == {} and only_copy.entries == []


def test_two_live_binders_on_one_machine_are_a_collision_left_as_it_is() -> None:
    a = _site("main_pc_code/agents/context_manager.py", 3, "bind", 7111, "REP")
    b = _site("main_pc_code/agents/context_cache.py", 3, "bind", 7111, "REP")
    client = _site("main_pc_code/agents/client.py", 3, "connect", 7111, "REQ", host="localhost")
    elsewhere = _site("pc2_code/agents/context_manager.py", 3, "bind", 7111, "REP")
    naming = name_ports([a, b, client, elsewhere])
    assert naming.names == {elsewhere: "CONTEXT_MANAGER_REP"}  # the same port on another machine is fine
    assert naming.notes == ["port 7111 on main_pc_code is bound by 2 live modules (main_pc_code/agents/"
                            "context_cache.py, main_pc_code/agents/context_manager.py): a collision to resolve "
                            "first; left as it is"]


def test_names_taken_on_another_machine_are_qualified_and_same_machine_clashes_numbered() -> None:
    main = _site("main_pc_code/agents/a.py", 1, "bind", 5000, "PUB", class_name="Publisher")
    pc2 = _site("pc2_code/agents/b.py", 1, "bind", 5001, "PUB", class_name="Publisher")
    again = _site("pc2_code/agents/c.py", 1, "bind", 5002, "PUB", class_name="Publisher")
    names = name_ports([main, pc2, again]).names
    assert names == {main: "PUBLISHER_PUB", pc2: "PC2_PUBLISHER_PUB", again: "PC2_PUBLISHER_PUB_2"}


def test_same_port_on_two_machines_gets_two_names_and_remote_connects_pick_the_other_machine() -> None:
    main = _site("main_pc_code/a.py", 1, "bind", 5000, "PUB")
    pc2 = _site("pc2_code/b.py", 1, "bind", 5000, "PUB")
    remote = _site("main_pc_code/c.py", 1, "connect", 5000, "SUB", host="192.168.1.2")
    local = _site("main_pc_code/d.py", 1, "connect", 5000, "SUB", host="localhost")
    names = name_ports([main, pc2, remote, local]).names
    assert names == {main: "A_PUB", pc2: "B_PUB", remote: "B_PUB", local: "A_PUB"}


def test_existing_entry_with_the_same_port_and_machine_is_reused() -> None:
    existing = {"LEGACY": PortEntry("LEGACY", 5000, "main_pc_code", "main_pc_code/old.py")}
    site = _site("main_pc_code/a.py", 1, "bind", 5000, "PUB")
    naming = name_ports([site], existing)
    assert naming.names == {site: "LEGACY"} and naming.entries == []
    other = _site("pc2_code/b.py", 1, "bind", 5000, "PUB")
    assert name_ports([other], existing).names == {other: "B_PUB"}  # another machine's port


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param('import zmq\ns.bind(r"tcp://*:5556")\n',
                     'import zmq\nfrom agent_runtime import get_port\ns.bind(rf"tcp://*:{get_port(\'A_BIND\')}")\n',
                     id="raw string"),
        pytest.param("import zmq\ns.bind('''tcp://*:5556''')\n",
                     "import zmq\nfrom agent_runtime import get_port\ns.bind(f'''tcp://*:{get_port(\"A_BIND\")}''')\n",
                     id="triple quotes"),
        pytest.param('import zmq\ns.bind("tcp://{%s}:5556" % h)\n',
                     'import zmq\nfrom agent_runtime import get_port\n'
                     's.bind(f"tcp://{{%s}}:{get_port(\'A_BIND\')}" % h)\n',
                     id="braces in the text are escaped"),
        pytest.param('import zmq\ndef get_port():\n    pass\ns.bind("tcp://*:5556")\n',
                     'import zmq\nfrom agent_runtime import get_port as registry_port\ndef get_port():\n    pass\n'
                     's.bind(f"tcp://*:{registry_port(\'A_BIND\')}")\n',
                     id="a local get_port is not shadowed"),
        pytest.param('import zmq\nPORT = "5556"\ns.bind("tcp://*:" + PORT)\n',
                     'import zmq\nfrom agent_runtime import get_port\nPORT = "5556"\n'
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


def test_the_registry_goes_where_the_tree_says(agent_tree, cli) -> None:
    (agent_tree / "pyproject.toml").write_text('[tool.analyzer]\nports_registry = "deploy/{machine}/ports.yaml"\n')
    result = cli("fix", "port-literals", agent_tree, "--apply", "--unsafe", "-j", "1")
    assert result.exit_code == 1, result.output
    assert _registry(agent_tree, "deploy/main_pc_code/ports.yaml")["MEMORY_REP"]["port"] == 5560
    assert not (agent_tree / MAIN_REGISTRY).exists()
