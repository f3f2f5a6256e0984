// id: swallowed-exceptions
// title: Exception handlers that swallow the error
// severity: high
// category: exceptions
// precision: high
// tags: reliability, CWE-390
// what: Finds except clauses (bare, broad or specific) whose whole body only passes, continues, returns None, is `...`, or logs a message without the traceback (no `logger.exception`, no `exc_info=`, no `traceback.print_exc()`), and never raises: one row per clause, with its module and machine. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: The error disappears: a failed send, a dead peer or a bug leaves no trace but a missing reply, and in a ZeroMQ agent a swallowed error on a REQ/REP socket leaves the socket in a state where every later call fails the same silent way. These are the handlers to read first when an agent "stops answering".
// fix: Handle the failure (retry, reconnect, answer the peer with an error), or log it with its traceback (`logger.exception(...)`) and re-raise; keep a deliberate `pass` only for a narrow type with a comment saying why. A codebase whose narrow handlers are deliberate (a cache miss, an optional feature) can check only the bare and broad ones: `kinds = ["bare", "broad"]` under `[tool.analyzer.checks.swallowed-exceptions]`.
// message: A {kind} handler in {function|module code} swallows the error
// param: kinds = ['bare', 'broad', 'specific']
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: module
// column: function
// column: kind
// column: types
// location: path, line
// identity: path, function, kind, types
MATCH (m:Module {snapshot: $snapshot})-[:HAS_EXCEPT]->(x:ExceptClause)
WHERE x.swallows AND NOT x.reraises AND NOT x.logs_traceback AND x.kind IN $kinds
  AND ($include_copies OR NOT m.is_copy)
RETURN x.path AS path, x.line AS line, x.machine AS machine, m.name AS module, x.function AS function,
       x.kind AS kind, x.types AS types
ORDER BY path, line, machine, module, function, kind, types
