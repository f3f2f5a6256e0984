// id: print-as-logging
// title: print() used for logging in agents
// severity: low
// category: hygiene
// precision: medium
// tags: maintainability
// what: Finds agent modules that call `print()` outside the `__main__` guard, one row per function with the first line and the number of calls. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Agents run detached under a launcher: printed lines have no level, timestamp or agent name, are lost or interleaved, and cannot be filtered or shipped to the log store.
// fix: Use the module's logger (`logger = logging.getLogger(__name__)`, `logger.info(...)`).
// message: {function} logs with print() {prints} times
// param: include_copies = False
// column: path
// column: line
// column: function
// column: prints
// location: path, line
// identity: path, function
MATCH (m:Module {snapshot: $snapshot})-[:HAS_HYGIENE_CALL]->(h:HygieneCall)
WHERE h.kind = 'print' AND m.is_agent AND ($include_copies OR NOT m.is_copy)
WITH m.path AS module_path, h.function AS in_function, min(h.line) AS first_line, count(h) AS calls
RETURN module_path AS path, first_line AS line, in_function AS function, calls AS prints
ORDER BY path, line, function, prints
