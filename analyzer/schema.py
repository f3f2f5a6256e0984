"""The graph schema, declared once: both store adapters and the docs read it.

Every node carries `snapshot` (the scan it belongs to) and `id` (unique across
snapshots). Queries anchor on `{snapshot: $snapshot}`; relationships never
cross snapshots, so one anchored node fixes the snapshot of a whole pattern.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import analyzer.facts  # noqa: F401  declares the built-in fact kinds
from analyzer.kinds import BOOL, CHECKS, CODE, INT, LOCATED, STRING, node_kinds, on_change



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


_HEAD_TABLES = (
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
)
# Whole-repository nodes, between the code's structure and the checks (analyzer/kinds.py's groups).
_REPOSITORY_TABLES = (
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
)
_CONFIG_TABLES = (
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
        {**LOCATED, "name": STRING, "group": STRING, "script": STRING, "script_path": STRING, "script_found": BOOL,
         "host": STRING, "port": INT, "port_text": STRING, "health_port": INT, "required": BOOL,
         "dependencies": STRING, "undeclared_dependencies": STRING, "points_to": STRING, "is_copy": BOOL},
        "An agent entry of a startup config (`path`/`line`: the entry); `points_to`: other machines its hosts name.",
    ),
    NodeTable(
        "ConfigPort",
        {**LOCATED, "name": STRING, "kind": STRING, "port": INT, "text": STRING, "agent": STRING, "owner": STRING,
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
        {**LOCATED, "kind": STRING, "name": STRING, "specifier": STRING, "extras": STRING, "marker": STRING,
         "dependency_group": STRING, "commented": BOOL, "editable": BOOL, "raw": STRING, "error": STRING,
         "is_copy": BOOL},
        "One declared requirement: `name` PEP 503-normalised, `specifier` sorted (`<2,>=1.24`) or `@ <url>`, "
        "`commented` for a commented-out line (`# torch==2.0.0`), `error` for a line nothing could read (name empty).",
    ),
)

_IMPORT_RELS = (
    RelTable("IMPORTS", "Module", "Module", {"line": INT, "lines": STRING, "lazy": BOOL, "guarded": BOOL},
             "Module imports module; `lazy` when every such import is inside a function, `guarded` when every one "
             "that runs at import time is inside a try with except handlers."),
    RelTable("IMPORTS_PACKAGE", "Module", "Package", {"line": INT, "lazy": BOOL, "guarded": BOOL},
             "Module imports an outside name; `lazy` and `guarded` as for IMPORTS."),
)
_REPOSITORY_RELS = (
    RelTable("IN_CYCLE", "Module", "ImportCycle", {"position": INT}, "Module is member of import cycle."),
    RelTable("HAS_DUPLICATE_KEY", "Module", "DuplicateKey", {}, "Module shares this key with another module."),
)
_CONFIG_RELS = (
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



def _kind_tables(group: str) -> list[NodeTable]:
    return [NodeTable(kind.label, kind.columns, kind.doc) for kind in node_kinds(group)]


def _kind_rels(group: str) -> list[RelTable]:
    rels = []
    for kind in node_kinds(group):
        rels.append(RelTable(kind.relationship, "Module", kind.label, {}, kind.rel_doc))
        rels.extend(RelTable(name, source, kind.label, {}, doc) for name, source, doc in kind.extra_rels)
    return rels


# Every table, in docs/graph.md's order: the fixed ones with the fact kinds' (analyzer/kinds.py) spliced in.
# Lists and maps rebuilt in place whenever a kind is registered, so every module that imported them sees it.
NODE_TABLES: list[NodeTable] = []
REL_TABLES: list[RelTable] = []
NODES_BY_NAME: dict[str, NodeTable] = {}
RELS_BY_NAME: dict[str, RelTable] = {}
# Node tables that belong to one snapshot (Repository is the pointer, not data).
SNAPSHOT_NODE_TABLES: list[str] = []


def _rebuild() -> None:
    NODE_TABLES[:] = [*_HEAD_TABLES, *_kind_tables(CODE), *_REPOSITORY_TABLES, *_kind_tables(CHECKS), *_CONFIG_TABLES]
    REL_TABLES[:] = [*_IMPORT_RELS, *_kind_rels(CODE), *_REPOSITORY_RELS, *_kind_rels(CHECKS), *_CONFIG_RELS]
    NODES_BY_NAME.clear()
    NODES_BY_NAME.update((t.name, t) for t in NODE_TABLES)
    RELS_BY_NAME.clear()
    RELS_BY_NAME.update((t.name, t) for t in REL_TABLES)
    SNAPSHOT_NODE_TABLES[:] = [t.name for t in NODE_TABLES if t.name != "Repository"]


on_change(_rebuild)


def schema_digest() -> str:
    """Part of every scan fingerprint: a store written under another schema is rewritten, never queried stale."""
    return hashlib.sha256(repr((tuple(NODE_TABLES), tuple(REL_TABLES))).encode()).hexdigest()[:16]
