"""Facts: the plain-data contract between extraction and storage.

Extraction produces one `FileFacts` per file. Every fact carries the 1-based line it was found on. Each list
of facts is a fact kind, declared once with `@fact_kind` (analyzer/kinds.py): its graph label, relationship,
node ids and columns are derived from that declaration.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from analyzer.codec import DEFERRED
from analyzer.kinds import CODE, INT, STRING, fact_kind, seal_builtin
from analyzer.narrowing import model
from analyzer.narrowing.model import RaiseFacts

PARSE_OK = "ok"
PARSE_ERROR = "error"
PARSE_SKIPPED = "skipped"


@dataclass(slots=True)
class ParseErrorFact:
    kind: str  # SyntaxError, UnicodeDecodeError, NullBytes, TooLarge, TooDeep, TooSlow, Crashed, Failed, OSError
    message: str
    line: int


@fact_kind(field="imports", node=False)
@dataclass(slots=True)
class ImportFact:
    module: str  # dotted name as written ("" for `from . import x`)
    names: tuple[str, ...]  # imported names for `from` imports, ("*",) for star
    level: int  # leading dots of a relative import
    line: int
    lazy: bool  # inside a function (or a method): runs when it is called, not at import time
    guarded: bool  # not lazy, inside the body of a try that has except handlers: runs at import time, errors caught
    is_from: bool


@fact_kind(field="classes", label="Class", relationship="DEFINES_CLASS", id_tag="C", group=CODE, own_rows=True,
           doc="A class definition; `bases` is comma-separated.", rel_doc="Module defines class.")
@dataclass(slots=True)
class ClassFact:
    name: str
    line: int
    end_line: int
    bases: tuple[str, ...]
    method_count: int


@fact_kind(field="functions", label="Function", relationship="DEFINES_FUNCTION", id_tag="F", group=CODE,
           own_rows=True, sorted_by_line=False, doc="A function or method with its radon cyclomatic complexity.",
           rel_doc="Module defines function or method.", extra_rels=(("HAS_METHOD", "Class", "Class has method."),))
@dataclass(slots=True)
class FunctionFact:
    name: str
    qualname: str  # Class.method or outer.inner
    class_name: str  # "" for plain functions
    line: int
    end_line: int
    complexity: int  # radon cyclomatic complexity


@fact_kind(field="sockets", label="Socket", relationship="HAS_SOCKET", id_tag="S", group=CODE,
           doc="A ZeroMQ socket creation (`ctx.socket(zmq.PUB)`).", rel_doc="Module creates socket.")
@dataclass(slots=True)
class SocketFact:
    kind: str  # PUB, SUB, REQ, REP, PUSH, PULL, DEALER, ROUTER, PAIR, XPUB, XSUB, STREAM
    variable: str  # the target it is assigned to, e.g. "self.pub_socket"
    line: int
    function: str


# PortRef.kind: how an endpoint's port is written. The extractor (analyzer/extract/zmq.py) records it;
# analyzer/endpoints.py resolves it with the other modules' facts and the deployment configs.
PORT_REF_KINDS = {
    "literal": "a number in the code (`5556`, `\"5556\"`): `value`",
    "constant": "a name assigned in this file, at module, class or function level (`PORT`): `name`, `scope` "
                "(the class or function, \"\" for the module); operands: its value",
    "imported": "a name imported from another module (`from common.ports import X as P`): `name` X, `alias` P, "
                "`module` as written (leading dots for a relative import)",
    "module_attribute": "`ports.X` after `import ports` or `import common.ports as ports`: `name` X, `module`",
    "self_attribute": "`self.X`: operands are every value the class assigns to it (candidates, constructor "
                      "first); `name`, `scope` the class",
    "parameter": "a parameter of the enclosing function, also `kwargs.get(\"port\", d)`: `name`, `scope` the "
                 "function's qualified name; operands: its default",
    "key": "a value a launcher or config object holds (`args.port`, `self.config[\"port\"]`, "
           "`config.get(\"port\", d)`): `name` the key, `scope` the object as written; operands: the default",
    "env": "`os.environ.get(\"X\", d)`, `os.getenv(\"X\", d)`, `os.environ[\"X\"]`: `name` X (inside a helper, "
           "a template naming its parameters: `{name}_PORT`); operands: the default",
    "registry": "`get_port(\"NAME\")` / `endpoint(\"NAME\")` (runtime.ports): `name`",
    "call": "a helper that returns a port (`get_service_port(\"NAME\", 5611)`): `name` the function, `module` "
            "and `alias` when imported; operands: its arguments",
    "argument": "one argument of a call: `name` its keyword (\"\" when positional), `value` its position; "
                "operands: the value",
    "text": "a string (`\"NAME\"`), as a helper's argument: `name` the text",
    "fallback": "`x or 5642`, `x if x else 5642`, `getattr(o, \"x_port\", 5600)`: operands (the value, the "
                "fallback)",
    "sum": "`port + 1`, `BASE + OFFSET`: operands added, plus `offset`",
    "random": "`bind_to_random_port`: a port chosen at run time",
    "unknown": "anything else (`None`, a call nothing resolves): `name` is the expression as written",
}


# Endpoint.port_source: where analyzer/endpoints.py found the number -> (summary bucket, meaning). Declared
# once: the scan summary, the schema docs and docs/configs.md are derived from it.
PORT_SOURCES: dict[str, tuple[str, str]] = {
    "literal": ("code", "a number in the endpoint or the call"),
    "constant": ("code", "a name assigned in the same file: module, class or local"),
    "imported_constant": ("code", "a constant of another module: imported, aliased or `module.X`"),
    "self_attr": ("code", "`self.X = <number>` in the class"),
    "default_arg": ("code", "a fallback in the code: a parameter's default, `x or 5642`, `getattr(o, \"x\", 5600)`"),
    "env_default": ("code", "the default of an environment lookup, also through a helper"),
    "config": ("config", "the startup config: the agent's port, health-check port or `*_port` param"),
    "ports_yaml": ("config", "the ports.yaml entry a registry lookup names"),
    "env": ("config", "a .env file"),
    "compose": ("config", "a compose service's environment"),
    "random": ("unknown", "`bind_to_random_port`: chosen at run time"),
    "dynamic": ("unknown", "nothing static: only the running program knows"),
    "none": ("none", "no port: ipc://, inproc://"),
}
PORT_BUCKETS = {"code": "from the code", "config": "from the deployment configs", "unknown": "unknown",
                "none": "no port (ipc, inproc)"}
# Endpoint.port_confidence, strongest first.
CONFIDENCES = {
    "certain": "the code fixes the number: a literal, a constant, `self.X = <number>`, arithmetic on those",
    "likely": "a value the deployment declares for this socket, or the fallback the code keeps when none does: "
              "a constructor default, an environment default, `x or 5642`",
    "possible": "a default of a function other than the constructor (callers may pass another), or one of several "
                "values `self.X` is given (all of them are in `port_candidates`)",
}

@dataclass(frozen=True, slots=True)
class PortRef:
    """Where a port comes from, as the code writes it; `kind` is one of PORT_REF_KINDS."""

    kind: str
    line: int = 0  # where the referenced value is written (an assignment, a parameter, the call)
    value: int | None = None
    name: str = ""
    module: str = ""
    alias: str = ""
    scope: str = ""
    offset: int = 0
    operands: tuple[PortRef, ...] = ()


@fact_kind(field="port_definitions", node=False, sorted_by_line=False)
@dataclass(frozen=True, slots=True)
class PortDefinitionFact:
    """A module-level name other modules can take a port from: a constant, or a helper function's return value."""

    name: str
    line: int
    ref: PortRef
    params: tuple[str, ...] = ()  # a helper's parameters, in order
    is_function: bool = False


@fact_kind(
    field="endpoints", label="Endpoint", relationship="HAS_ENDPOINT", id_tag="E", group=CODE, own_rows=True,
    # The rows hold what analyzer/endpoints.py resolved besides the fact.
    columns={
        "action": STRING, "endpoint": STRING, "scheme": STRING, "host": STRING, "port": INT,
        "port_source": STRING, "port_confidence": STRING, "port_origin": STRING, "port_candidates": STRING,
        "port_expr": STRING, "target_machine": STRING, "site": STRING, "socket_variable": STRING,
        "socket_kind": STRING, "function": STRING, "class_name": STRING,
    },
    doc="A bind or connect (analyzer/endpoints.py). `port` is null unless resolved; `port_source` says where the "
    f"number comes from ({', '.join(PORT_SOURCES)}), `port_confidence` how sure ({', '.join(CONFIDENCES)}), "
    "`port_origin` the `path:line` it is written at (code or config), `port_candidates` every value `self.X` "
    "may hold when they differ (comma-separated). `target_machine` is the machine a connect reaches by its "
    "host (\"\" when the host says nothing), a bind's own machine. `site` is `path:line`, for messages.",
    rel_doc="Module binds or connects.",
)
@dataclass(slots=True)
class EndpointFact:
    action: str  # bind | connect
    line: int
    endpoint: str  # source text of the endpoint argument
    scheme: str  # tcp | ipc | inproc | ... | "" when unknown
    host: str  # "*", "0.0.0.0", "localhost", an expression text, or ""
    # What the host expression leads to in this file, outermost first: the names it goes through
    # (`PC2_HOST`, `pc2_host`, env variables, keys) and the string it ends at ("192.168.1.2", "localhost").
    host_names: tuple[str, ...]
    port_ref: PortRef | None  # None where the scheme has no port (ipc://, inproc://)
    port_expr: str  # the port expression as written inside the endpoint ("" for a literal), for display
    socket_variable: str
    socket_kind: str  # from the matching socket creation, "" when unknown
    function: str
    class_name: str


@fact_kind(
    field="excepts", label="ExceptClause", relationship="HAS_EXCEPT", id_tag="X", group=CODE,
    doc="An except clause: bare, broad or specific. `narrowable` when every exception its try body can raise is "
    "known (`narrow_types`, comma-separated): `analyzer fix narrow-excepts` can then narrow it.",
    rel_doc="Module has except clause.",
)
@dataclass(slots=True)
class ExceptFact:
    line: int
    kind: str  # bare | broad | specific
    types: tuple[str, ...]
    swallows: bool  # body only pass / ... / continue / return / print / logging
    reraises: bool
    logs_traceback: bool
    function: str
    # Filled by the whole-repository pass (analyzer/narrowing/infer.py) for bare and broad handlers.
    narrow_types: str = ""  # comma-separated exceptions its try body can raise, when that is proven
    narrowable: bool = False  # `analyzer fix narrow-excepts` can narrow it without --unsafe


@fact_kind(field="todos", label="Todo", relationship="HAS_TODO", id_tag="T", group=CODE,
           doc="A TODO / FIXME / XXX / HACK comment.", rel_doc="Module has TODO comment.")
@dataclass(slots=True)
class TodoFact:
    line: int
    tag: str  # one of the tags in extract/todos.py
    text: str
    ticket: str  # "#123", "ABC-12" or ""


@fact_kind(field="cuda_calls", label="CudaCall", relationship="HAS_CUDA_CALL", id_tag="G", group=CODE,
           doc="A CUDA use; `kind` is cuda_method, to_cuda, device_arg, torch_cuda or empty_cache.",
           rel_doc="Module uses CUDA.")
@dataclass(slots=True)
class CudaFact:
    line: int
    kind: str  # cuda_method | to_cuda | device_arg | torch_cuda | empty_cache
    call: str  # callee text, e.g. "torch.cuda.empty_cache"
    function: str


@fact_kind(
    field="risky_calls", label="RiskyCall", relationship="HAS_RISKY_CALL", id_tag="R", group=CODE,
    doc="A shell command: `kind` is shell_true, os_system or os_popen; `dynamic` when built from run-time values.",
    rel_doc="Module has risky call.",
)
@dataclass(slots=True)
class RiskyCallFact:
    line: int
    kind: str  # shell_true | os_system | os_popen
    detail: str  # the callee
    dynamic: bool  # command built from non-literals
    function: str


@fact_kind(
    field="secrets", label="HardcodedSecret", relationship="HAS_HARDCODED_SECRET", id_tag="K", group=CODE,
    doc="A secret-named target given a literal that looks like a credential (analyzer/extract/secrets.py); "
    "`target` as written (`app.config[\"SECRET_KEY\"]`), `written_as` name, attribute, subscript, dict_key "
    "or keyword. The value is never stored.",
    rel_doc="Module gives a secret-named target a credential.",
)
@dataclass(slots=True)
class SecretFact:
    line: int
    target: str  # what is given the credential, as written: DB_PASSWORD, settings.api_key, app.config["SECRET_KEY"]
    written_as: str  # name | attribute | subscript | dict_key | keyword (analyzer/extract/secrets.py)
    function: str  # never the value


# Security, performance and hygiene facts (docs/security.md).
@fact_kind(field="zmq_auth", label="ZmqAuth", relationship="HAS_ZMQ_AUTH", id_tag="Z",
           doc="Where a module sets CURVE keys or starts a ZAP authenticator; `kind` is curve_option, curve_sockopt, "
           "zap_authenticator or zmq_auth_import.", rel_doc="Module configures ZeroMQ authentication.")
@dataclass(slots=True)
class ZmqAuthFact:
    line: int
    kind: str  # curve_option | curve_sockopt | zap_authenticator | zmq_auth_import
    detail: str  # the option, class or module named


@fact_kind(
    field="bandit_findings", label="BanditFinding", relationship="HAS_BANDIT_FINDING", id_tag="B",
    doc="A finding of one of Bandit's curated tests (`test_id` like B614); severity and confidence low/medium/high.",
    rel_doc="Module has Bandit finding.",
)
@dataclass(slots=True)
class BanditFact:
    line: int
    test_id: str  # Bandit's stable id, e.g. B602
    test_name: str  # e.g. subprocess_popen_with_shell_equals_true
    severity: str  # low | medium | high
    confidence: str  # low | medium | high
    cwe: int  # 0 when Bandit names none
    message: str  # Bandit's text, with any quoted credential value cut off


@fact_kind(field="routes", label="Route", relationship="HAS_ROUTE", id_tag="H",
           doc="An HTTP route (FastAPI, Flask, aiohttp); `auth` names what protects it, empty for nothing.",
           rel_doc="Module serves HTTP route.")
@dataclass(slots=True)
class RouteFact:
    line: int  # the handler's `def` line
    framework: str  # fastapi | flask | aiohttp
    methods: str  # upper-case HTTP methods, comma-separated
    route: str  # the URL path as written ("" when not a literal)
    function: str  # the handler
    state_changing: bool  # POST/PUT/DELETE/PATCH, or named like reload, shutdown, admin, delete
    auth: str  # what protects it ("Depends(verify_token)", "@login_required", "middleware:X"), "" for nothing


@fact_kind(
    field="model_loads", label="ModelLoad", relationship="HAS_MODEL_LOAD", id_tag="M",
    doc="A heavy model load; `setup` when it runs once, `loop_line` its loop (0: none), `handler` in a request handler.",
    rel_doc="Module loads model.",
)
@dataclass(slots=True)
class ModelLoadFact:
    line: int
    call: str  # e.g. spacy.load, AutoModel.from_pretrained
    function: str
    setup: bool  # loaded once: module level, __init__, setup/load*/init*/warmup-named or cached function
    loop_line: int  # line of the innermost enclosing loop, 0 outside loops
    handler: bool  # inside a route or a request-handler-named function


@fact_kind(field="db_calls", label="DbCall", relationship="HAS_DB_CALL", id_tag="D",
           doc="A database call; `loop_line` is the loop it runs in (0: none).", rel_doc="Module calls database.")
@dataclass(slots=True)
class DbCallFact:
    line: int
    call: str  # receiver.method, e.g. conn.fetchrow, cursor.execute
    function: str
    loop_line: int  # line of the innermost enclosing loop (a comprehension's own line), 0 outside loops
    awaited: bool


@fact_kind(
    field="hygiene", label="HygieneCall", relationship="HAS_HYGIENE_CALL", id_tag="Y",
    doc="print() outside the __main__ guard, or asyncio.get_event_loop() outside an async function.",
    rel_doc="Module has hygiene call.",
)
@dataclass(slots=True)
class HygieneFact:
    line: int
    kind: str  # print | get_event_loop
    call: str
    function: str


@dataclass(slots=True)
class FileFacts:
    path: str  # posix path relative to the repository root
    machine: str
    sha256: str
    size: int
    lines: int = 0
    parse_status: str = PARSE_OK
    parse_error: ParseErrorFact | None = None
    normalized_hash: str = ""  # hash of the code without comments and formatting
    has_main_guard: bool = False
    # Module-level constants and helper functions other modules can import a port from.
    port_definitions: list[PortDefinitionFact] = field(default_factory=list)
    imports: list[ImportFact] = field(default_factory=list)
    classes: list[ClassFact] = field(default_factory=list)
    functions: list[FunctionFact] = field(default_factory=list)
    sockets: list[SocketFact] = field(default_factory=list)
    endpoints: list[EndpointFact] = field(default_factory=list)
    excepts: list[ExceptFact] = field(default_factory=list)
    todos: list[TodoFact] = field(default_factory=list)
    cuda_calls: list[CudaFact] = field(default_factory=list)
    risky_calls: list[RiskyCallFact] = field(default_factory=list)
    secrets: list[SecretFact] = field(default_factory=list)
    zmq_auth: list[ZmqAuthFact] = field(default_factory=list)
    bandit_findings: list[BanditFact] = field(default_factory=list)
    routes: list[RouteFact] = field(default_factory=list)
    model_loads: list[ModelLoadFact] = field(default_factory=list)
    db_calls: list[DbCallFact] = field(default_factory=list)
    hygiene: list[HygieneFact] = field(default_factory=list)
    # What each function and try body does that may raise (analyzer/extract/raising.py), None if unparsed.
    # Cached packed: a rescan decodes those of the files its narrowing pass follows (analyzer/codec.py).
    raising: Annotated[RaiseFacts | None, DEFERRED] = None
    # Module traits for security and GPU rules (analyzer/extract/security.py, hotpaths.py).
    uses_curve: bool = False  # sets CURVE keys or starts a ZAP authenticator (zmq_auth is not empty)
    inference_guard: bool = False  # a torch.no_grad() / inference_mode() context or decorator
    frees_tensors: bool = False  # a `del` statement inside a function
    request_cuda_line: int = 0  # first CUDA move in a per-request (non-setup) function, 0 for none
    # The lists of fact kinds registered after these (analyzer/kinds.py, docs/fact-kinds.md), by kind field.
    extra: dict[str, list[Any]] = field(default_factory=dict)


seal_builtin(FileFacts)


# Scalar FileFacts fields the security and hot-path extractors fill.
MODULE_TRAITS = ("uses_curve", "inference_guard", "frees_tensors", "request_cuda_line")


def _pickled_as_constructor_call(cls: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    names = tuple(f.name for f in dataclasses.fields(cls))
    read = operator.attrgetter(*names)
    if len(names) == 1:  # attrgetter of one name gives the value, not a tuple
        return lambda value: (cls, (read(value),))
    return lambda value: (cls, read(value))


def _pickle_facts_by_fields() -> None:
    """Facts cross from the scan's workers in pickles. A slotted dataclass pickles through
    `dataclasses.fields()` per object, both ways; a constructor call with the field values in order
    rebuilds the same object at half the CPU and three quarters of the bytes."""
    for module in (sys.modules[__name__], model):
        for value in list(vars(module).values()):
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                # Set on the class, pickle calls it with the object; typeshed declares a method without it.
                value.__reduce__ = _pickled_as_constructor_call(value)  # type: ignore[assignment]


_pickle_facts_by_fields()
