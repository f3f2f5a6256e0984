"""Facts: the plain-data contract between extraction and storage.

Extraction produces one `FileFacts` per file; nothing here knows about graphs or
databases. Every fact carries the 1-based line it was found on.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(slots=True)
class ImportFact:
    module: str  # dotted name as written ("" for `from . import x`)
    names: tuple[str, ...]  # imported names for `from` imports, ("*",) for star
    level: int  # leading dots of a relative import
    line: int
    lazy: bool  # inside a function (or a method): runs when it is called, not at import time
    guarded: bool  # not lazy, inside the body of a try that has except handlers: runs at import time, errors caught
    is_from: bool


@dataclass(slots=True)
class ClassFact:
    name: str
    line: int
    end_line: int
    bases: tuple[str, ...]
    method_count: int


@dataclass(slots=True)
class FunctionFact:
    name: str
    qualname: str  # Class.method or outer.inner
    class_name: str  # "" for plain functions
    line: int
    end_line: int
    complexity: int  # radon cyclomatic complexity


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


@dataclass(frozen=True, slots=True)
class PortDefinitionFact:
    """A module-level name other modules can take a port from: a constant, or a helper function's return value."""

    name: str
    line: int
    ref: PortRef
    params: tuple[str, ...] = ()  # a helper's parameters, in order
    is_function: bool = False


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


@dataclass(slots=True)
class TodoFact:
    line: int
    tag: str  # one of the tags in extract/todos.py
    text: str
    ticket: str  # "#123", "ABC-12" or ""


@dataclass(slots=True)
class CudaFact:
    line: int
    kind: str  # cuda_method | to_cuda | device_arg | torch_cuda | empty_cache
    call: str  # callee text, e.g. "torch.cuda.empty_cache"
    function: str


@dataclass(slots=True)
class RiskyCallFact:
    line: int
    kind: str  # shell_true | os_system | os_popen
    detail: str  # the callee
    dynamic: bool  # command built from non-literals
    function: str


@dataclass(slots=True)
class SecretFact:
    line: int
    target: str  # what is given the credential, as written: DB_PASSWORD, settings.api_key, app.config["SECRET_KEY"]
    written_as: str  # name | attribute | subscript | dict_key | keyword (analyzer/extract/secrets.py)
    function: str  # never the value


@dataclass(slots=True)
class ZmqAuthFact:
    line: int
    kind: str  # curve_option | curve_sockopt | zap_authenticator | zmq_auth_import
    detail: str  # the option, class or module named


@dataclass(slots=True)
class BanditFact:
    line: int
    test_id: str  # Bandit's stable id, e.g. B602
    test_name: str  # e.g. subprocess_popen_with_shell_equals_true
    severity: str  # low | medium | high
    confidence: str  # low | medium | high
    cwe: int  # 0 when Bandit names none
    message: str  # Bandit's text, with any quoted credential value cut off


@dataclass(slots=True)
class RouteFact:
    line: int  # the handler's `def` line
    framework: str  # fastapi | flask | aiohttp
    methods: str  # upper-case HTTP methods, comma-separated
    route: str  # the URL path as written ("" when not a literal)
    function: str  # the handler
    state_changing: bool  # POST/PUT/DELETE/PATCH, or named like reload, shutdown, admin, delete
    auth: str  # what protects it ("Depends(verify_token)", "@login_required", "middleware:X"), "" for nothing


@dataclass(slots=True)
class ModelLoadFact:
    line: int
    call: str  # e.g. spacy.load, AutoModel.from_pretrained
    function: str
    setup: bool  # loaded once: module level, __init__, setup/load*/init*/warmup-named or cached function
    loop_line: int  # line of the innermost enclosing loop, 0 outside loops
    handler: bool  # inside a route or a request-handler-named function


@dataclass(slots=True)
class DbCallFact:
    line: int
    call: str  # receiver.method, e.g. conn.fetchrow, cursor.execute
    function: str
    loop_line: int  # line of the innermost enclosing loop (a comprehension's own line), 0 outside loops
    awaited: bool


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
    raising: RaiseFacts | None = None
    # Module traits for security and GPU rules (analyzer/extract/security.py, hotpaths.py).
    uses_curve: bool = False  # sets CURVE keys or starts a ZAP authenticator (zmq_auth is not empty)
    inference_guard: bool = False  # a torch.no_grad() / inference_mode() context or decorator
    frees_tensors: bool = False  # a `del` statement inside a function
    request_cuda_line: int = 0  # first CUDA move in a per-request (non-setup) function, 0 for none


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
