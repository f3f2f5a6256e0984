// id: broad-except
// title: Broad except clauses (Exception, BaseException)
// severity: low
// category: exceptions
// precision: high
// tags: reliability, CWE-396
// what: Finds every `except Exception` / `except BaseException` clause, alone or in a tuple such as `except (ValueError, Exception)`, one row per clause, with the types it names, the function it is in (empty at module level), and whether it swallows the error. A handler that re-raises is left out: it hides nothing, and catching everything to clean up and re-raise is the right idiom. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A broad handler treats a bug (AttributeError, TypeError, a wrong key) like an expected failure, so defects hide behind log lines or nothing at all; `BaseException` also catches KeyboardInterrupt and SystemExit, so the agent ignores its shutdown. In a long-running agent loop this is how a socket ends up in a broken state that nobody notices.
// fix: Catch the exceptions the block can recover from (`zmq.Again`, `TimeoutError`, `json.JSONDecodeError`); where a catch-all is the point (the top of an agent's loop), log with `logger.exception(...)` and re-raise or restart the loop deliberately.
// message: `except {types}` in {function|module code} catches every error without re-raising it
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: function
// column: types
// column: swallows
// location: path, line
// identity: path, function, types
MATCH (m:Module {snapshot: $snapshot})-[:HAS_EXCEPT]->(x:ExceptClause)
WHERE x.kind = 'broad' AND NOT x.reraises AND ($include_copies OR NOT m.is_copy)
RETURN x.path AS path, x.line AS line, x.machine AS machine, x.function AS function, x.types AS types,
       x.swallows AS swallows
ORDER BY path, line, machine, function, types, swallows
