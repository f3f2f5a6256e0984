// id: narrowable-excepts
// title: Broad handlers that can catch exactly what their try body raises
// category: exceptions
// severity: low
// precision: high
// tags: maintainability, CWE-396
// what: Finds bare and broad handlers (`except:`, `except Exception:`, `except BaseException:`) whose try body can only raise exceptions the analysis can name: every call in the body is a row of the raise table or one of the repository's own functions (followed up to four calls deep), and every other operation acts on a value of known type. One row per handler, with the exceptions it could catch instead (`narrow_types`: the fewest names, without what earlier handlers of the same try already catch). Handlers that raise (clean-up and wrapping handlers) are not listed. Copies (docs/copies.md) are left out unless $include_copies.
// why: A broad handler catches programming errors (a NameError, an AttributeError on None, a mistyped key) along with the failure it was written for, so an agent keeps running in a broken state and the traceback that would explain it is gone. Where the body's exceptions are known, catching exactly those keeps the recovery and lets bugs surface; CI can refuse new handlers of this kind while the old ones are narrowed batch by batch.
// fix: Catch the listed exceptions instead: `analyzer fix narrow-excepts . --limit 30 --pr` rewrites a batch of files a day, with the evidence for every exception in the pull request body. A call into a library of your own that keeps handlers off this list can be described in `[[tool.analyzer.raises]]` (docs/narrow-excepts.md).
// fixed_by: narrow-excepts
// message: A {kind} handler in {function|module code} catches {caught|everything} but its try body can only raise {narrow_types}
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: function
// column: kind
// column: caught
// column: narrow_types
// location: path, line
// identity: path, function, narrow_types
MATCH (m:Module {snapshot: $snapshot})-[:HAS_EXCEPT]->(x:ExceptClause)
WHERE x.narrowable AND ($include_copies OR NOT m.is_copy)
RETURN x.path AS path, x.line AS line, x.machine AS machine, x.function AS function, x.kind AS kind,
       x.types AS caught, x.narrow_types AS narrow_types
ORDER BY path, line, machine, function, kind, caught, narrow_types
