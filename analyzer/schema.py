"""The graph schema, declared once: both store adapters and the docs read it.

Every node carries `snapshot` (the scan it belongs to) and `id` (unique across
snapshots). Queries anchor on `{snapshot: $snapshot}`; relationships never
cross snapshots, so one anchored node fixes the snapshot of a whole pattern.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from analyzer.facts import CONFIDENCES, PORT_SOURCES

STRING, INT, BOOL = "STRING", "INT64", "BOOLEAN"

# Properties every file-level child node repeats so queries need no join to report a location.
_LOCATED = {"path": STRING, "machine": STRING, "line": INT}


@dataclass(frozen=True)
class NodeTable:
    name: str
    properties: dict[str, str]  # name -> type; "id" and "snapshot" are implicit
    doc: str

    @property
    def columns(self) -> dict[str, str]:
        return {"id": STRING, "snapshot": STRING, **self.properties}


@dataclass(frozen=True)
class RelTable:
    name: str
    source: str
    target: str
    properties: dict[str, str]
    doc: str

    @property
    def columns(self) -> dict[str, str]:
        return {"from": STRING, "to": STRING, **self.properties}


NODE_TABLES: tuple[NodeTable, ...] = (
    NodeTable(
        "Repository",
        {"name": STRING, "root": STRING, "current_snapshot": STRING},
        "A scanned repository and the snapshot its queries read. `snapshot` is the current one.",
    ),
    NodeTable(
        "Snapshot",
        {"repository": STRING, "created_at": STRING, "analyzer_version": STRING, "fingerprint": STRING,
         "files": INT, "lines": INT, "parse_errors": INT},
        "One scan of a repository.",
    ),
    NodeTable(
        "Module",
        {
            "repository": STRING, "name": STRING, "path": STRING, "machine": STRING, "sha256": STRING,
            "normalized_hash": STRING, "lines": INT, "size": INT, "parse_status": STRING,
            "parse_error": STRING, "parse_error_message": STRING, "parse_error_line": INT,
            "is_package": BOOL, "is_test": BOOL, "is_copy": BOOL, "copy_reason": STRING, "is_agent": BOOL, "has_main_guard": BOOL,
            "component": INT, "component_size": INT, "imports_out": INT, "imports_in": INT,
            # Security, GPU and test-gap traits (docs/security.md).
            "package": STRING, "tested": BOOL, "uses_curve": BOOL, "inference_guard": BOOL, "frees_tensors": BOOL,
            "request_cuda_line": INT,
            # Query library (queries/duplicate-agents, queries/critical-path).
            "file_name": STRING, "dependents": INT, "dependent_agents": INT,
        },
        "A Python file (parsed or not). `is_copy` when it is an archived, backed-up or reference copy (docs/copies.md), "
        "`copy_reason` why (`folder:_trash_2025-06-13`, `name:backup`, `glob:attic/**`). `component` is its import strongly-connected component (-1: in no cycle). "
        "`package` is its folder as a dotted name; `tested` when a test module imports it, directly or through other "
        "modules; `uses_curve` when it sets CURVE keys or starts a ZAP authenticator; `request_cuda_line` is its first "
        "CUDA move in a per-request function (0: none). `file_name` is the path's last part; `dependents` / "
        "`dependent_agents` count the non-test modules / agents that import it, directly or through other modules.",
    ),
    NodeTable("Package", {"name": STRING, "stdlib": BOOL}, "An imported name that no repository module provides."),
    NodeTable(
        "Class",
        {**_LOCATED, "name": STRING, "end_line": INT, "bases": STRING, "method_count": INT},
        "A class definition; `bases` is comma-separated.",
    ),
    NodeTable(
        "Function",
        {**_LOCATED, "name": STRING, "qualname": STRING, "class_name": STRING, "end_line": INT, "complexity": INT},
        "A function or method with its radon cyclomatic complexity.",
    ),
    NodeTable(
        "Socket",
        {**_LOCATED, "kind": STRING, "variable": STRING, "function": STRING},
        "A ZeroMQ socket creation (`ctx.socket(zmq.PUB)`).",
    ),
    NodeTable(
        "Endpoint",
        {
            **_LOCATED, "action": STRING, "endpoint": STRING, "scheme": STRING, "host": STRING, "port": INT,
            "port_source": STRING, "port_confidence": STRING, "port_origin": STRING, "port_candidates": STRING,
            "port_expr": STRING, "target_machine": STRING, "site": STRING, "socket_variable": STRING,
            "socket_kind": STRING, "function": STRING, "class_name": STRING,
        },
        "A bind or connect (analyzer/endpoints.py). `port` is null unless resolved; `port_source` says where the "
        f"number comes from ({', '.join(PORT_SOURCES)}), `port_confidence` how sure ({', '.join(CONFIDENCES)}), "
        "`port_origin` the `path:line` it is written at (code or config), `port_candidates` every value `self.X` "
        "may hold when they differ (comma-separated). `target_machine` is the machine a connect reaches by its "
        "host (\"\" when the host says nothing), a bind's own machine. `site` is `path:line`, for messages.",
    ),
    NodeTable(
        "ExceptClause",
        {**_LOCATED, "kind": STRING, "types": STRING, "swallows": BOOL, "reraises": BOOL,
         "logs_traceback": BOOL, "function": STRING,
         # analyzer/narrowing: what `analyzer fix narrow-excepts` would narrow a bare or broad handler to.
         "narrow_types": STRING, "narrowable": BOOL},
        "An except clause: bare, broad or specific. `narrowable` when every exception its try body can raise is "
        "known (`narrow_types`, comma-separated): `analyzer fix narrow-excepts` can then narrow it.",
    ),
    NodeTable(
        "Todo",
        {**_LOCATED, "tag": STRING, "text": STRING, "ticket": STRING},
        "A TODO / FIXME / XXX / HACK comment.",
    ),
    NodeTable(
        "CudaCall",
        {**_LOCATED, "kind": STRING, "call": STRING, "function": STRING},
        "A CUDA use; `kind` is cuda_method, to_cuda, device_arg, torch_cuda or empty_cache.",
    ),
    NodeTable(
        "RiskyCall",
        {**_LOCATED, "kind": STRING, "detail": STRING, "dynamic": BOOL, "function": STRING},
        "A shell command: `kind` is shell_true, os_system or os_popen; `dynamic` when built from run-time values.",
    ),
    NodeTable(
        "HardcodedSecret",
        {**_LOCATED, "target": STRING, "written_as": STRING, "function": STRING},
        "A secret-named target given a literal that looks like a credential (analyzer/extract/secrets.py); "
        "`target` as written (`app.config[\"SECRET_KEY\"]`), `written_as` name, attribute, subscript, dict_key "
        "or keyword. The value is never stored.",
    ),
    NodeTable(
        "ImportCycle",
        {"members": STRING, "size": INT, "closing_lines": STRING, "timing": STRING, "component": INT,
         "closing_imports": STRING},
        "An elementary import cycle, members comma-separated from the smallest name; `closing_imports` is "
        "`path:line` of each member's import of the next, in the same order. `timing`: `lazy` when one step is "
        "imported only inside functions, else `guarded` when one step is imported only inside try/except at "
        "import time (its ImportError is swallowed), else `import-time`.",
    ),
    NodeTable(
        "ContractViolation",
        {"contract": STRING, "kind": STRING, "path": STRING, "line": INT, "source": STRING, "target": STRING,
         "chain": STRING, "hops": INT},
        "An import that breaks a `[tool.analyzer.contracts]` contract (analyzer/contracts.py): `source` reaches "
        "`target` through `chain` (`module:line -> ... -> target`, `hops` imports); `path`/`line` is the source's "
        "import that starts it; `kind` is layers, forbidden or independence.",
    ),
    NodeTable(
        "DuplicateKey",
        {"kind": STRING, "value": STRING},
        "A key two or more non-test modules share: `content` (the normalised syntax tree's hash), `file_name` "
        "(an agent's file name) or `class` (an agent class name); queries/duplicate-agents.cypher pairs modules "
        "through it.",
    ),
    # Security, performance and hygiene facts (docs/security.md).
    NodeTable(
        "ZmqAuth",
        {**_LOCATED, "kind": STRING, "detail": STRING},
        "Where a module sets CURVE keys or starts a ZAP authenticator; `kind` is curve_option, curve_sockopt, "
        "zap_authenticator or zmq_auth_import.",
    ),
    NodeTable(
        "BanditFinding",
        {**_LOCATED, "test_id": STRING, "test_name": STRING, "severity": STRING, "confidence": STRING, "cwe": INT,
         "message": STRING},
        "A finding of one of Bandit's curated tests (`test_id` like B614); severity and confidence low/medium/high.",
    ),
    NodeTable(
        "Route",
        {**_LOCATED, "framework": STRING, "methods": STRING, "route": STRING, "function": STRING,
         "state_changing": BOOL, "auth": STRING},
        "An HTTP route (FastAPI, Flask, aiohttp); `auth` names what protects it, empty for nothing.",
    ),
    NodeTable(
        "ModelLoad",
        {**_LOCATED, "call": STRING, "function": STRING, "setup": BOOL, "loop_line": INT, "handler": BOOL},
        "A heavy model load; `setup` when it runs once, `loop_line` its loop (0: none), `handler` in a request handler.",
    ),
    NodeTable(
        "DbCall",
        {**_LOCATED, "call": STRING, "function": STRING, "loop_line": INT, "awaited": BOOL},
        "A database call; `loop_line` is the loop it runs in (0: none).",
    ),
    NodeTable(
        "HygieneCall",
        {**_LOCATED, "kind": STRING, "call": STRING, "function": STRING},
        "print() outside the __main__ guard, or asyncio.get_event_loop() outside an async function.",
    ),
    NodeTable(
        "ConfigCredential",
        {"path": STRING, "machine": STRING, "line": INT, "key_path": STRING, "format": STRING, "is_copy": BOOL},
        "A literal, non-placeholder credential in a config file (YAML, JSON, .env, INI): where and under which key, "
        "never the value. `is_copy` here and on the other config and requirements nodes: the file is a copy "
        "by its path (docs/copies.md).",
    ),
    # Deployment configs (analyzer/configs): startup configs, ports.yaml, compose, .env.
    NodeTable(
        "ConfigFile",
        {"path": STRING, "machine": STRING, "kind": STRING, "parse_status": STRING, "error_kind": STRING,
         "error_message": STRING, "error_line": INT, "agents": INT, "ports": INT, "is_copy": BOOL},
        "A deployment config file; `kind` is startup, ports, compose or env; `parse_status` error for malformed YAML.",
    ),
    NodeTable(
        "ConfiguredAgent",
        {**_LOCATED, "name": STRING, "group": STRING, "script": STRING, "script_path": STRING, "script_found": BOOL,
         "host": STRING, "port": INT, "port_text": STRING, "health_port": INT, "required": BOOL,
         "dependencies": STRING, "undeclared_dependencies": STRING, "points_to": STRING, "is_copy": BOOL},
        "An agent entry of a startup config (`path`/`line`: the entry); `points_to`: other machines its hosts name.",
    ),
    NodeTable(
        "ConfigPort",
        {**_LOCATED, "name": STRING, "kind": STRING, "port": INT, "text": STRING, "agent": STRING, "owner": STRING,
         "socket": STRING, "is_copy": BOOL},
        "A port a config declares; `kind` is agent_port, health_port, param, registry, compose or env.",
    ),
    NodeTable(
        "ConfigDependencyCycle",
        {"members": STRING, "machines": STRING, "size": INT, "path": STRING, "line": INT, "is_copy": BOOL},
        "An elementary cycle of configured-agent dependencies, members comma-separated from the smallest name.",
    ),
    # Declared dependencies (analyzer/requirements.py): requirements / constraints files, pyproject dependency lists.
    NodeTable(
        "RequirementsFile",
        {"path": STRING, "machine": STRING, "kind": STRING, "requirements": INT, "is_copy": BOOL},
        "A file declaring dependencies; `kind` is requirements, constraints or pyproject; `requirements` counts its "
        "active, readable lines.",
    ),
    NodeTable(
        "Requirement",
        {**_LOCATED, "kind": STRING, "name": STRING, "specifier": STRING, "extras": STRING, "marker": STRING,
         "dependency_group": STRING, "commented": BOOL, "editable": BOOL, "raw": STRING, "error": STRING,
         "is_copy": BOOL},
        "One declared requirement: `name` PEP 503-normalised, `specifier` sorted (`<2,>=1.24`) or `@ <url>`, "
        "`commented` for a commented-out line (`# torch==2.0.0`), `error` for a line nothing could read (name empty).",
    ),
)

REL_TABLES: tuple[RelTable, ...] = (
    RelTable("IMPORTS", "Module", "Module", {"line": INT, "lines": STRING, "lazy": BOOL, "guarded": BOOL},
             "Module imports module; `lazy` when every such import is inside a function, `guarded` when every one "
             "that runs at import time is inside a try with except handlers."),
    RelTable("IMPORTS_PACKAGE", "Module", "Package", {"line": INT, "lazy": BOOL, "guarded": BOOL},
             "Module imports an outside name; `lazy` and `guarded` as for IMPORTS."),
    RelTable("DEFINES_CLASS", "Module", "Class", {}, "Module defines class."),
    RelTable("DEFINES_FUNCTION", "Module", "Function", {}, "Module defines function or method."),
    RelTable("HAS_METHOD", "Class", "Function", {}, "Class has method."),
    RelTable("HAS_SOCKET", "Module", "Socket", {}, "Module creates socket."),
    RelTable("HAS_ENDPOINT", "Module", "Endpoint", {}, "Module binds or connects."),
    RelTable("HAS_EXCEPT", "Module", "ExceptClause", {}, "Module has except clause."),
    RelTable("HAS_TODO", "Module", "Todo", {}, "Module has TODO comment."),
    RelTable("HAS_CUDA_CALL", "Module", "CudaCall", {}, "Module uses CUDA."),
    RelTable("HAS_RISKY_CALL", "Module", "RiskyCall", {}, "Module has risky call."),
    RelTable("HAS_HARDCODED_SECRET", "Module", "HardcodedSecret", {}, "Module gives a secret-named target a credential."),
    RelTable("IN_CYCLE", "Module", "ImportCycle", {"position": INT}, "Module is member of import cycle."),
    RelTable("HAS_DUPLICATE_KEY", "Module", "DuplicateKey", {}, "Module shares this key with another module."),
    RelTable("HAS_ZMQ_AUTH", "Module", "ZmqAuth", {}, "Module configures ZeroMQ authentication."),
    RelTable("HAS_BANDIT_FINDING", "Module", "BanditFinding", {}, "Module has Bandit finding."),
    RelTable("HAS_ROUTE", "Module", "Route", {}, "Module serves HTTP route."),
    RelTable("HAS_MODEL_LOAD", "Module", "ModelLoad", {}, "Module loads model."),
    RelTable("HAS_DB_CALL", "Module", "DbCall", {}, "Module calls database."),
    RelTable("HAS_HYGIENE_CALL", "Module", "HygieneCall", {}, "Module has hygiene call."),
    RelTable("DECLARES_AGENT", "ConfigFile", "ConfiguredAgent", {}, "Config file declares agent."),
    RelTable("DECLARES_PORT", "ConfigFile", "ConfigPort", {}, "Config file declares port."),
    RelTable("HAS_CONFIG_PORT", "ConfiguredAgent", "ConfigPort", {}, "Agent's own port, health port or `*_port` param."),
    RelTable("DEPENDS_ON", "ConfiguredAgent", "ConfiguredAgent", {"line": INT, "cross_machine": BOOL},
             "Configured dependency (same machine preferred when a name is declared on several)."),
    RelTable("RUNS", "ConfiguredAgent", "Module", {}, "The module a configured agent's script_path resolves to."),
    RelTable("PORT_FROM", "Endpoint", "ConfigPort", {}, "The config value an endpoint's port was resolved through."),
    RelTable("CONFIGURED_AS", "Endpoint", "ConfigPort", {},
             "A startup-config value that declares this endpoint's port, equal to it or not (config-port-conflict)."),
    RelTable("IN_DEPENDENCY_CYCLE", "ConfiguredAgent", "ConfigDependencyCycle", {"position": INT},
             "Agent is member of a dependency cycle."),
    RelTable("DECLARES_REQUIREMENT", "RequirementsFile", "Requirement", {}, "File declares requirement."),
    RelTable("INCLUDES_REQUIREMENTS", "RequirementsFile", "RequirementsFile", {"line": INT, "constraint": BOOL},
             "`-r` / `-c` include (`constraint` for -c)."),
)

NODES_BY_NAME = {t.name: t for t in NODE_TABLES}
RELS_BY_NAME = {t.name: t for t in REL_TABLES}
# Node tables that belong to one snapshot (Repository is the pointer, not data).
SNAPSHOT_NODE_TABLES = tuple(t.name for t in NODE_TABLES if t.name != "Repository")
# Part of every scan fingerprint: a store written under another schema is rewritten, never queried stale.
SCHEMA_DIGEST = hashlib.sha256(repr((NODE_TABLES, REL_TABLES)).encode()).hexdigest()[:16]
