"""Facts: the plain-data contract between extraction and storage.

Extraction produces one `FileFacts` per file; nothing here knows about graphs or
databases. Every fact carries the 1-based line it was found on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.narrowing.model import RaiseFacts

PARSE_OK = "ok"
PARSE_ERROR = "error"
PARSE_SKIPPED = "skipped"


@dataclass(slots=True)
class ParseErrorFact:
    kind: str  # SyntaxError, UnicodeDecodeError, NullBytes, TooLarge, RecursionError
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


@dataclass(slots=True)
class EndpointFact:
    action: str  # bind | connect
    line: int
    endpoint: str  # source text of the endpoint argument
    scheme: str  # tcp | ipc | inproc | ... | "" when unknown
    host: str  # "*", "0.0.0.0", "localhost", an expression text, or ""
    port: int | None
    port_source: str  # literal | constant | self_attr | default_arg | env_default | dynamic | none
    port_expr: str  # the expression the port came from ("" for literals)
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
    # Module-level names bound to a statically known integer (ports live here).
    constants: dict[str, int] = field(default_factory=dict)
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
