"""port-literals: hard-coded ports in bind/connect become `get_port("NAME")` from runtime.ports.

Which calls carry a literal or constant port is decided by the extraction facts
(analyzer/extract/zmq.py); this module only finds, in the same tree, the node that
holds the port and swaps it, keeping scheme, host and the string's shape.

Names come from the module and the socket role (`translator.py`, PUB ->
TRANSLATOR_PUB), one name per port and machine, so a connect to a port another
agent binds reads that agent's name. An existing `config/ports.yaml` entry with the
same port and owner (or the same port on the same machine) keeps its name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import libcst as cst

from analyzer.extract import run_extractors
from analyzer.extract.walker import dotted_name
from analyzer.extract.zmq import ENDPOINT_ACTIONS
from analyzer.facts import EndpointFact, FileFacts
from codemods.base import (
    child_nodes,
    UNSAFE,
    Codemod,
    Edit,
    Example,
    Rewrite,
    first_statement_holding,
    header_insert_index,
    insert_statements,
    module_bound_names,
    start_lines,
    upper_snake,
)
from codemods.ports_file import REGISTRY_PATH, RegistryEntry, merge, read_entries

REWRITTEN_SOURCES = frozenset({"literal", "constant"})
LEFT_SOURCES = {"self_attr": "a self attribute", "default_arg": "a default argument", "env_default": "an env default"}
REGISTRY_MODULE = "runtime.ports"
GENERIC_STEMS = frozenset({"__init__", "__main__", "main", "app", "run"})
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_LOCAL_IPS = ("127.", "0.0.0.0")  # prefixes compared, not a bind  # nosec B104


def machine_of(path: str) -> str:
    parts = PurePosixPath(path).parts
    return parts[0] if len(parts) > 1 else ""


# --------------------------------------------------------------------- locating sites


@dataclass(frozen=True)
class PortSite:
    path: str
    line: int
    ordinal: int  # among the rewritable endpoints of the same line
    action: str  # bind | connect
    port: int
    socket_kind: str
    host: str
    rewritable: bool = True  # False: a bind whose port stays (default argument...), known for naming only


@dataclass
class Collected:
    sites: list[PortSite] = field(default_factory=list)  # rewritable sites and fixed-port binds
    notes: list[str] = field(default_factory=list)  # ports from other sources, left as they are on purpose
    left: list[str] = field(default_factory=list)  # literal or constant ports the codemod cannot rewrite


@dataclass
class _Target:
    """The node that holds a port and how to swap it."""

    kind: str  # expression | string | fstring_text
    node: cst.CSTNode
    fstring_quote: str = ""  # quote of the f-string around the node, "" outside one
    wrap_str: bool = False  # operand of `+`: the port must stay a str
    digits: str = ""


@dataclass
class _Walked:
    node: cst.CSTNode
    parent: cst.CSTNode | None
    fstring: cst.FormattedString | None  # innermost f-string around the node
    in_fstring_expression: bool


def _walk(root: cst.CSTNode) -> Iterator[_Walked]:
    """Nodes under `root` in source order, with parent and f-string context."""
    stack: list[_Walked] = [_Walked(root, None, None, False)]
    while stack:
        item = stack.pop()
        yield item
        node = item.node
        fstring = node if isinstance(node, cst.FormattedString) else item.fstring
        in_expression = item.in_fstring_expression or isinstance(node, cst.FormattedStringExpression)
        if isinstance(node, cst.FormattedString):
            in_expression = False
        stack.extend(_Walked(child, node, fstring, in_expression) for child in reversed(child_nodes(node)))


def _quote_of(fstring: cst.FormattedString | None) -> str:
    return fstring.start[-1] if fstring is not None else ""


def _is_conversion(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Call) and dotted_name(node.func) in ("int", "str") and len(node.args) == 1


class _Locator:
    """Finds, for each rewritable endpoint fact, the node that holds its port."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._parents: dict[cst.CSTNode, cst.CSTNode] | None = None

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()

    def target(self, call: cst.Call, fact: EndpointFact) -> _Target | str:
        argument = call.args[0].value
        if fact.port_expr:
            return self._expression(argument, fact) or f"cannot find the port expression {fact.port_expr!r}"
        found = self._digits(argument, fact.port)
        if found is not None:
            return found
        if isinstance(argument, (cst.Name, cst.Attribute)):
            value = self._single_assignment(argument)
            if isinstance(value, str):
                return value
            return self._digits(value, fact.port) or f"the string assigned to {self.code(argument)} has no port to swap"
        return "endpoint shape not supported"

    def _expression(self, argument: cst.BaseExpression, fact: EndpointFact) -> _Target | None:
        found = None
        for item in _walk(argument):
            node, parent = item.node, item.parent
            if not isinstance(node, cst.BaseExpression) or self._is_name_slot(node, parent):
                continue
            if self.code(node) == fact.port_expr:
                found = item
        if found is None:
            return None
        node, parent = found.node, found.parent
        while _is_conversion(node):
            parent, node = node, node.args[0].value
        wrap = isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add)
        return _Target("expression", node, _quote_of(found.fstring), wrap)

    @staticmethod
    def _is_name_slot(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
        """A keyword name or an attribute name: text, not a value."""
        return (isinstance(parent, cst.Arg) and parent.keyword is node) or (
            isinstance(parent, cst.Attribute) and parent.attr is node
        )

    def _digits(self, root: cst.BaseExpression, port: int | None) -> _Target | None:
        """The last string piece under `root` that ends with the port's digits."""
        found = None
        for item in _walk(root):
            node = item.node
            if item.in_fstring_expression:
                continue
            if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
                value = node.evaluated_value
                match = _TRAILING_DIGITS.search(value) if isinstance(value, str) else None
                body = node.value[len(node.prefix) + len(node.quote): -len(node.quote)]
                if match and int(match.group(1)) == port and body.endswith(match.group(1)):
                    found = _Target("string", node, digits=match.group(1))
            elif isinstance(node, cst.FormattedStringText):
                match = _TRAILING_DIGITS.search(node.value)
                if match and int(match.group(1)) == port:
                    found = _Target("fstring_text", node, _quote_of(item.fstring), digits=match.group(1))
        return found

    def _single_assignment(self, reference: cst.BaseExpression) -> cst.BaseExpression | str:
        """The value of the one assignment of a name or `self.x` in the module."""
        wanted = self.code(reference)
        values, other_bindings = [], 0
        for item in _walk(self.module):
            node, parent = item.node, item.parent
            if isinstance(node, cst.AssignTarget) and self.code(node.target) == wanted:
                values.append(parent.value if isinstance(parent, cst.Assign) and len(parent.targets) == 1 else None)
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)) and self.code(node.target) == wanted:
                other_bindings += 1
            elif isinstance(reference, cst.Name) and self._binds_name(node, wanted):
                other_bindings += 1
        if len(values) != 1 or values[0] is None or other_bindings:
            return f"{wanted} is assigned more than once; its endpoint string was not rewritten"
        return values[0]

    @staticmethod
    def _binds_name(node: cst.CSTNode, name: str) -> bool:
        if isinstance(node, cst.Param):
            return node.name.value == name
        if isinstance(node, (cst.For, cst.CompFor, cst.NamedExpr)):
            return any(isinstance(n, cst.Name) and n.value == name for n in _names_in(node.target))
        if isinstance(node, cst.AsName):
            return any(isinstance(n, cst.Name) and n.value == name for n in _names_in(node.name))
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            return any(item.name.value == name for item in node.names)
        return False


def _names_in(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child_nodes(current))


def _endpoint_calls(module: cst.Module, line_of) -> dict[int, list[cst.Call]]:
    calls: dict[int, list[cst.Call]] = defaultdict(list)
    for item in _walk(module):
        node = item.node
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ENDPOINT_ACTIONS
            and node.args
        ):
            calls[line_of(node)].append(node)
    return calls


@dataclass
class _Located:
    site: PortSite
    target: _Target


def locate(module: cst.Module, path: str) -> tuple[list[_Located], list[PortSite], list[str], list[str]]:
    """Every bind/connect with a literal or constant port and the node holding it; binds whose port stays;
    notes on ports from other sources; the literal or constant ports it cannot rewrite, and why."""
    facts = FileFacts(path, machine_of(path), "", 0)
    run_extractors(facts, module, module.code)
    fixed = [
        PortSite(path, f.line, -1, f.action, f.port, f.socket_kind, f.host, rewritable=False)
        for f in facts.endpoints
        if f.port is not None and f.port_source not in REWRITTEN_SOURCES and f.action == "bind"
    ]
    if not any(f.port is not None and f.port_source in REWRITTEN_SOURCES for f in facts.endpoints):
        return [], fixed, _left_notes(facts, path), []
    calls = _endpoint_calls(module, start_lines(module, (cst.Call,)))
    locator = _Locator(module)
    located, notes, left, used = [], [], [], set()
    ordinals: dict[int, int] = defaultdict(int)
    for fact in facts.endpoints:
        if fact.port is None or fact.port_source not in REWRITTEN_SOURCES:
            notes.extend(_left_notes(facts, path, [fact]))
            continue
        call = next((c for c in calls.get(fact.line, []) if c not in used and _matches(locator, c, fact)), None)
        if call is None:
            left.append(f"{path}:{fact.line}: cannot find the {fact.action} call of {fact.endpoint}")
            continue
        used.add(call)
        target = locator.target(call, fact)
        if isinstance(target, str):
            left.append(f"{path}:{fact.line}: {target}")
            continue
        ordinal = ordinals[fact.line]
        ordinals[fact.line] += 1
        site = PortSite(path, fact.line, ordinal, fact.action, fact.port, fact.socket_kind, fact.host)
        located.append(_Located(site, target))
    return located, fixed, notes, left


def _left_notes(facts: FileFacts, path: str, endpoints: list[EndpointFact] | None = None) -> list[str]:
    return [
        f"{path}:{fact.line}: port {fact.port} comes from {LEFT_SOURCES[fact.port_source]} ({fact.port_expr}); "
        "left as it is"
        for fact in (facts.endpoints if endpoints is None else endpoints)
        if fact.port is not None and fact.port_source in LEFT_SOURCES
    ]


def _matches(locator: _Locator, call: cst.Call, fact: EndpointFact) -> bool:
    return (
        ENDPOINT_ACTIONS[call.func.attr.value] == fact.action  # type: ignore[attr-defined]
        and locator.code(call.args[0].value) == fact.endpoint
    )


# --------------------------------------------------------------------- naming


@dataclass
class PortPlan:
    names: dict[str, dict[tuple[int, int], str]]  # path -> (line, ordinal) -> NAME
    new_entries: list[RegistryEntry]
    registry_text: str | None  # the existing ports.yaml, None when there is none
    notes: list[str]
    left: list[str]  # literal or constant ports left as they are, and why (a call it cannot find...)


def _stem(path: str) -> str:
    pure = PurePosixPath(path)
    stem = pure.stem
    if stem in GENERIC_STEMS and pure.parent.name:
        stem = pure.parent.name if stem.startswith("__") else f"{pure.parent.name}_{stem}"
    name = upper_snake(stem) or "MODULE"
    return name if name[0].isalpha() else f"P_{name}"


def _is_remote(host: str) -> bool:
    return bool(_IP.match(host)) and not host.startswith(_LOCAL_IPS)


def _keys(sites: list[PortSite], existing: dict[str, RegistryEntry]) -> dict[PortSite, tuple[str, int]]:
    """(machine, port) each site's port belongs to; connects join the binder's key."""
    binders: dict[int, list[str]] = defaultdict(list)
    for site in sites:
        machine = machine_of(site.path)
        if site.action == "bind" and machine not in binders[site.port]:
            binders[site.port].append(machine)
    keys = {}
    for site in sites:
        machine = machine_of(site.path)
        machines = sorted(binders.get(site.port, []))
        if site.action == "bind" or not machines:
            keys[site] = (machine, site.port)
            continue
        others = [m for m in machines if m != machine]
        preferred = (others + machines) if _is_remote(site.host) else ([m for m in machines if m == machine] + others)
        keys[site] = (preferred[0], site.port)
    # An entry without a machine collides with every machine: one key for its port.
    machineless = {port for machine, port in keys.values() if not machine}
    machineless |= {entry.port for entry in existing.values() if not entry.machine}
    return {site: (("", key[1]) if key[1] in machineless else key) for site, key in keys.items()}


def _existing_name(existing: dict[str, RegistryEntry], key: tuple[str, int], owner: str) -> str | None:
    machine, port = key
    same_owner = sorted(n for n, e in existing.items() if e.port == port and e.owner == owner)
    same_machine = sorted(n for n, e in existing.items() if e.port == port and e.machine in ("", machine))
    found = same_owner or same_machine
    return found[0] if found else None


def _new_name(owner: PortSite, taken: set[str]) -> str:
    base = f"{_stem(owner.path)}_{owner.socket_kind or owner.action.upper()}"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def name_ports(
    sites: list[PortSite], existing: dict[str, RegistryEntry]
) -> tuple[dict[PortSite, str], list[RegistryEntry], list[str]]:
    """NAME for every rewritable site, the registry entries to add, and notes on shared ports.

    Binds whose port stays in the code (`rewritable=False`) take part in choosing
    names and owners, so a connect to such a port reads the binding agent's name.
    """
    order = sorted(sites, key=lambda s: (s.path, s.line, s.ordinal))
    keys = _keys(order, existing)
    by_key: dict[tuple[str, int], list[PortSite]] = defaultdict(list)
    for site in order:
        by_key[keys[site]].append(site)
    # A port no rewritten site uses needs no name: its binds keep their port.
    by_key = {key: group for key, group in by_key.items() if any(s.rewritable for s in group)}

    def owner_of(group: list[PortSite]) -> PortSite:
        return next((s for s in group if s.action == "bind"), group[0])

    taken, names, entries, notes = set(existing), {}, [], []
    for key, group in sorted(by_key.items(), key=lambda item: _site_order(owner_of(item[1]))):
        owner = owner_of(group)
        name = _existing_name(existing, key, owner.path)
        if name is None:
            name = _new_name(owner, taken)
            entries.append(RegistryEntry(name, key[1], key[0], owner.path, owner.socket_kind))
        taken.add(name)
        for site in group:
            if site.rewritable:
                names[site] = name
        bound_by = sorted({s.path for s in group if s.action == "bind"})
        if len(bound_by) > 1:
            where = f" on {key[0]}" if key[0] else ""
            notes.append(f"port {key[1]}{where} is bound by {len(bound_by)} modules ({', '.join(bound_by)}); "
                         f"they all read {name} now")
    return names, entries, notes


def _site_order(site: PortSite) -> tuple:
    return (site.path, site.line, site.ordinal)


# --------------------------------------------------------------------- rewriting


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode], splits: dict[cst.CSTNode, list[cst.CSTNode]]):
        super().__init__()
        self.replacements = replacements
        self.splits = splits

    def on_leave(self, original_node, updated_node):
        if original_node in self.replacements:
            return self.replacements[original_node]
        if isinstance(original_node, cst.FormattedString) and any(p in self.splits for p in original_node.parts):
            parts = []
            for original, updated in zip(original_node.parts, updated_node.parts):
                parts.extend(self.splits.get(original, [updated]))
            return updated_node.with_changes(parts=parts)
        return updated_node


def _registry_call(function: str, name: str, fstring_quote: str) -> str:
    quote = "'" if fstring_quote == '"' else '"'
    return f"{function}({quote}{name}{quote})"


def _as_fstring(node: cst.SimpleString, digits: str, call_text: str) -> cst.FormattedString | str:
    prefix = node.prefix.replace("u", "").replace("U", "")
    body = node.value[len(node.prefix) + len(node.quote): -len(node.quote)]
    if "r" not in prefix.lower() and "\\N{" in body:
        return "a \\N{...} escape in the endpoint string"
    text = body[: len(body) - len(digits)].replace("{", "{{").replace("}", "}}")
    source = f"{prefix}f{node.quote}{text}{{{call_text}}}{node.quote}"
    fstring = cst.parse_expression(source)
    assert isinstance(fstring, cst.FormattedString)
    return fstring.with_changes(lpar=node.lpar, rpar=node.rpar)


class PortLiterals(Codemod):
    name = "port-literals"
    code = "FIX002"
    safety = UNSAFE
    summary = "Literal and constant ports in bind/connect become `get_port(\"NAME\")` from `runtime.ports`."
    what_it_does = (
        "Every `bind`/`connect` whose port is a literal or a constant resolved in the same file reads the "
        "port from the registry instead: `\"tcp://*:5556\"` becomes `f\"tcp://*:{get_port('TRANSLATOR_PUB')}\"`, "
        "a constant `PORT` in an f-string, `%`, `.format` or `+` becomes `get_port(...)` in place; scheme, host "
        "and the string's shape stay. Names are the module stem plus the socket kind (or BIND/CONNECT), upper "
        "snake case, one per port and machine (a connect reads the name of the agent that binds the port), "
        "numbered `_2`, `_3` on clashes in path order. `config/ports.yaml` at the repository root is written "
        "or merged (name, port, machine = first path component, owner module, socket kind); an existing entry "
        "with the same port and owner, or the same port on the same machine, keeps its name. "
        "`from runtime.ports import get_port` is added. Ports from default arguments, self attributes or "
        "environment defaults are left and listed."
    )
    why = (
        "Hundreds of hard-coded ports spread over two machines collide silently and cannot be moved without "
        "editing code; a registry names each port once, lets collisions be checked before start-up and lets "
        "PORT_<NAME> override a port per deployment."
    )
    review = (
        "Unsafe: agents now need config/ports.yaml (or PORT_<NAME>) at run time; module-level endpoint "
        "constants read the registry at import. Check the names in config/ports.yaml and every port that "
        "two modules bind (listed in the notes)."
    )
    uses_plan = True
    EXAMPLES = [
        Example(
            'import zmq\n\nctx = zmq.Context()\nsock = ctx.socket(zmq.PUB)\nsock.bind("tcp://*:5556")  # fan-out\n',
            'import zmq\nfrom runtime.ports import get_port\n\nctx = zmq.Context()\nsock = ctx.socket(zmq.PUB)\n'
            'sock.bind(f"tcp://*:{get_port(\'TRANSLATOR_PUB\')}")  # fan-out\n',
            path="main_pc_code/agents/translator.py",
            title="A literal endpoint becomes an f-string; host and scheme stay",
        ),
        Example(
            '"""Health monitor."""\nimport zmq\n\nPORT = 5570\n\n\nclass Monitor:\n    def start(self, host):\n'
            '        self.sock = self.ctx.socket(zmq.REQ)\n        self.sock.connect(f\'tcp://{host}:{PORT}\')\n',
            '"""Health monitor."""\nimport zmq\nfrom runtime.ports import get_port\n\nPORT = 5570\n\n\nclass Monitor:\n'
            '    def start(self, host):\n        self.sock = self.ctx.socket(zmq.REQ)\n'
            '        self.sock.connect(f\'tcp://{host}:{get_port("HEALTH_MONITOR_REQ")}\')\n',
            path="pc2_code/agents/health_monitor.py",
            title="A constant inside an f-string is swapped in place",
        ),
        Example(
            'import zmq\nBASE = 7100\ns = zmq.Context().socket(zmq.PULL)\ns.bind("tcp://0.0.0.0:%d" % BASE)\n'
            't = zmq.Context().socket(zmq.PUSH)\nt.connect("tcp://localhost:" + str(BASE))\n',
            'import zmq\nfrom runtime.ports import get_port\nBASE = 7100\ns = zmq.Context().socket(zmq.PULL)\n'
            's.bind("tcp://0.0.0.0:%d" % get_port("COLLECTOR_PULL"))\nt = zmq.Context().socket(zmq.PUSH)\n'
            't.connect("tcp://localhost:" + str(get_port("COLLECTOR_PULL")))\n',
            path="main_pc_code/agents/collector.py",
            title="`%` and `+` keep their shape; a connect to a bound port reads the binder's name",
        ),
        Example(
            'import zmq\nENDPOINT = "tcp://*:6000"\nsock.bind(ENDPOINT)\nother.connect("tcp://127.0.0.1:6000")\n',
            'import zmq\nfrom runtime.ports import get_port\nENDPOINT = f"tcp://*:{get_port(\'BUS_BIND\')}"\n'
            'sock.bind(ENDPOINT)\nother.connect(f"tcp://127.0.0.1:{get_port(\'BUS_BIND\')}")\n',
            path="main_pc_code/bus.py",
            title="An endpoint constant assigned once is rewritten where it is defined; bind and connect share a name",
        ),
        Example(
            'import zmq\n\nclass A:\n    def __init__(self, port=5590):\n        self.sock.bind(f"tcp://*:{port}")\n',
            path="main_pc_code/agents/a.py",
            title="A port from a default argument is configurable already: left alone",
        ),
        Example('import zmq\ns.bind("ipc:///tmp/agent.sock")\nconn = sqlite3.connect("memory.db")\n',
                title="ipc endpoints and non-ZeroMQ connects are left alone"),
        Example('import zmq\nfrom runtime.ports import get_port\ns.bind(f"tcp://*:{get_port(\'X_PUB\')}")\n',
                title="Already reading the registry"),
    ]

    def commit_subject(self, sites: int, files: int) -> str:
        return (f"read {sites} hard-coded port{'s' * (sites != 1)} from {REGISTRY_PATH} in "
                f"{files} file{'s' * (files != 1)}")

    # --- planning ----------------------------------------------------------

    def might_apply(self, data: bytes) -> bool:
        return b"bind" in data or b"connect" in data

    def collect(self, path: str, module: cst.Module) -> Collected:
        located, fixed, notes, left = locate(module, path)
        return Collected([item.site for item in located] + fixed, notes, left)

    def plan(self, collected: Mapping[str, Collected], root: Path | None) -> PortPlan:
        registry_text = None
        if root is not None and (root / REGISTRY_PATH).is_file():
            registry_text = (root / REGISTRY_PATH).read_text(encoding="utf-8")
        existing = read_entries(registry_text) if registry_text else {}
        sites = [site for item in collected.values() if item for site in item.sites]
        names, entries, notes = name_ports(sites, existing)
        by_file: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
        for site, name in names.items():
            by_file[site.path][(site.line, site.ordinal)] = name
        file_notes = [note for path in sorted(collected) if collected[path] for note in collected[path].notes]
        file_left = [note for path in sorted(collected) if collected[path] for note in collected[path].left]
        return PortPlan(dict(by_file), entries, registry_text, notes + file_notes, file_left)

    def plan_for_file(self, plan: PortPlan, path: str) -> dict[tuple[int, int], str] | None:
        return plan.names.get(path)

    def plan_notes(self, plan: PortPlan) -> list[str]:
        return [*plan.notes, *plan.left]

    def plan_left(self, plan: PortPlan) -> list[str]:
        return list(plan.left)

    def extra_files(self, plan: PortPlan, root: Path | None) -> dict[str, bytes]:
        if not plan.new_entries:
            return {}
        text, note = merge(plan.registry_text, plan.new_entries)
        if note:
            plan.notes.append(note)
        return {REGISTRY_PATH: text.encode("utf-8")}

    # --- the rewrite -------------------------------------------------------

    def rewrite(self, module: cst.Module, path: str, file_plan: dict[tuple[int, int], str] | None) -> Rewrite:
        located, _fixed, _notes, _left = locate(module, path)
        function, needs_import = self._registry_function(module)
        replacements: dict[cst.CSTNode, cst.CSTNode] = {}
        splits: dict[cst.CSTNode, list[cst.CSTNode]] = {}
        chosen: dict[cst.CSTNode, str] = {}
        edits, notes = [], []
        for item in located:
            name = (file_plan or {}).get((item.site.line, item.site.ordinal))
            if name is None:
                continue
            target = item.target
            if chosen.setdefault(target.node, name) != name:
                notes.append(f"{path}:{item.site.line}: shares its endpoint string with another port name; left")
                continue
            problem = self._swap(target, function, name, replacements, splits)
            if problem:
                notes.append(f"{path}:{item.site.line}: {problem}")
                continue
            edits.append(Edit(item.site.line, f"port {item.site.port} -> {function}('{name}')"))
        if not edits:
            return Rewrite(module, [], notes)
        new_module = module.visit(_Replacer(replacements, splits))
        if needs_import:
            first_use = first_statement_holding(module, set(chosen))
            new_module = insert_statements(
                new_module, header_insert_index(module, first_use), [cst.parse_statement(needs_import)]
            )
        return Rewrite(new_module, sorted(edits, key=lambda e: e.line), notes)

    @staticmethod
    def _swap(target: _Target, function: str, name: str, replacements, splits) -> str:
        call_text = _registry_call(function, name, target.fstring_quote)
        if target.node in replacements or target.node in splits:
            return ""  # the same node, already swapped for the same name
        if target.kind == "expression":
            text = f"str({call_text})" if target.wrap_str else call_text
            replacements[target.node] = cst.parse_expression(text)
        elif target.kind == "string":
            fstring = _as_fstring(target.node, target.digits, _registry_call(function, name, target.node.quote[0]))
            if isinstance(fstring, str):
                return fstring
            replacements[target.node] = fstring
        else:
            text = target.node.value[: len(target.node.value) - len(target.digits)]
            parts: list[cst.CSTNode] = [cst.FormattedStringText(text)] if text else []
            parts.append(cst.FormattedStringExpression(cst.parse_expression(call_text)))
            splits[target.node] = parts
        return ""

    @staticmethod
    def _registry_function(module: cst.Module) -> tuple[str, str]:
        """The name get_port is called by here, and the import to add ("" when present)."""
        for statement in module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and dotted_name(small.module) == REGISTRY_MODULE
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    for alias in small.names:
                        if dotted_name(alias.name) == "get_port":
                            bound = alias.asname.name if alias.asname is not None else alias.name
                            return bound.value, ""  # type: ignore[union-attr]
        if "get_port" in module_bound_names(module):
            return "registry_port", f"from {REGISTRY_MODULE} import get_port as registry_port\n"
        return "get_port", f"from {REGISTRY_MODULE} import get_port\n"


__all__ = ["PortLiterals", "PortSite", "locate", "machine_of", "name_ports"]
