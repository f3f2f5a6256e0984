"""Ad-hoc Cypher that reads the graph and nothing else, on either store.

A read-only database still runs statements that write files (`COPY ... TO`,
`EXPORT DATABASE`), read them (`LOAD FROM "/etc/passwd"`, `LOAD CSV`), load or
install extensions, attach other databases or checkpoint (after which every
query fails until recovery). `check_read_only` refuses every clause that does
any of that or changes the graph, and every procedure call but a few known to
only read, wherever it appears (statements may be chained with `;`). It looks
at keywords outside strings, comments and backquoted names, so a property
called `set` or a string holding "DELETE" is fine.
"""

from __future__ import annotations

import re

from analyzer.store.port import StoreError

# Clause keyword -> what it does (the refusal says why).
REFUSED = {
    "CREATE": "changes the graph", "MERGE": "changes the graph", "SET": "changes the graph",
    "DELETE": "changes the graph", "DETACH": "changes the graph or detaches a database",
    "REMOVE": "changes the graph", "DROP": "changes the schema", "ALTER": "changes the schema",
    "FOREACH": "changes the graph", "RENAME": "changes the schema",
    "COPY": "reads or writes files", "EXPORT": "writes files", "IMPORT": "reads files", "LOAD": "reads files or loads code",
    "INSTALL": "installs extensions", "UNINSTALL": "removes extensions", "ATTACH": "opens another database",
    "USE": "switches database", "CHECKPOINT": "checkpoints the database", "BEGIN": "opens a transaction",
    "COMMIT": "commits a transaction", "ROLLBACK": "ends a transaction", "TRANSACTIONS": "runs batched transactions",
    "GRANT": "changes privileges", "DENY": "changes privileges", "REVOKE": "changes privileges",
    "TERMINATE": "ends other transactions", "ENABLE": "changes the server", "DEALLOCATE": "changes the server",
    "REALLOCATE": "changes the server",
}
# Procedures (CALL name) that only read the schema; any other procedure may write, read files or run Cypher.
READ_PROCEDURES = frozenset({
    "show_tables", "table_info", "show_connection", "show_functions", "db_version", "current_setting",
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties",
})
# Plugin namespaces whose functions read files, call out or run arbitrary Cypher.
REFUSED_NAMESPACES = ("apoc.", "dbms.", "gds.")

_NOISE_RE = re.compile(
    r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*[\s\S]*?(?:\*/|$)"
)
_WORD_RE = re.compile(r"(?<![\w.$:])[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_CALL_RE = re.compile(r"\bCALL\s+([A-Za-z_][\w.]*|\{)", re.IGNORECASE)


def check_read_only(cypher: str) -> None:
    """StoreError naming the first clause of `cypher` that does more than read the graph."""
    code = _NOISE_RE.sub(" ", cypher)
    for match in _CALL_RE.finditer(code):
        procedure = match.group(1)
        if procedure != "{" and procedure.lower() not in READ_PROCEDURES:
            raise StoreError(f"--cypher runs reading statements only: CALL {procedure} is refused (procedures may "
                             f"write or read files; the schema procedures {', '.join(sorted(READ_PROCEDURES))} are allowed)")
    for match in _WORD_RE.finditer(code):
        word = match.group(0)
        if word.lower().startswith(REFUSED_NAMESPACES):
            raise StoreError(f"--cypher runs reading statements only: {word} is refused (plugin procedures and "
                             "functions may write, read files or run other statements)")
        action = REFUSED.get(word.upper())
        if action is not None:
            raise StoreError(f"--cypher runs reading statements only: {word.upper()} {action}, so it is refused")
