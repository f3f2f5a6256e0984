// id: bare-except
// title: Bare except clauses
// severity: medium
// category: exceptions
// precision: high
// tags: reliability, CWE-396
// what: Finds every bare `except:` clause, one row per clause, with the function it is in (empty at module level) and whether it swallows the error (its body only passes, continues, returns None or logs a message without the traceback). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A bare except catches everything, including KeyboardInterrupt, SystemExit and GeneratorExit: an agent cannot be stopped with Ctrl-C or by its launcher's shutdown, and programming errors (NameError, TypeError) are handled like network hiccups, so the agent keeps running in a broken state.
// fix: Name the exceptions the block can recover from (`except zmq.ZMQError:`), or at least write `except Exception:` and log the traceback; `analyzer fix bare-except` rewrites every bare except to `except Exception:` in one pass.
// fixed_by: bare-except
// message: `except:` in {function|module code} catches everything, KeyboardInterrupt and SystemExit included
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: function
// column: swallows
// location: path, line
// identity: path, function
MATCH (m:Module {snapshot: $snapshot})-[:HAS_EXCEPT]->(x:ExceptClause)
WHERE x.kind = 'bare' AND ($include_copies OR NOT m.is_copy)
RETURN x.path AS path, x.line AS line, x.machine AS machine, x.function AS function, x.swallows AS swallows
ORDER BY path, line, machine, function, swallows
