// id: import-cycles
// title: Import cycles between repository modules
// severity: high
// category: structure
// precision: high
// tags: maintainability, reliability
// what: Lists every elementary import cycle once (up to 8 modules long), its members as dotted module names rotated to start at the smallest name, the import that closes each step (`imports`: `path:line` of each member's import of the next member, in member order), its size, and `deferred_only` when at least one of its imports sits inside a function or a `try` block, so the cycle does not bite at import time but only when that code runs. `path`/`line` is the first member's import of the second. Imports resolve the way the agents' `sys.path` does (a machine root and the repository root), and a standard-library name such as `logging` never resolves to a same-named repository folder.
// why: A module in a cycle cannot be imported, tested or moved on its own; which side of the cycle finishes initialising first depends on which agent imported it first, so a new import elsewhere turns working code into `ImportError: cannot import name` or a half-initialised module at startup. Deferred imports only hide the cycle until the function runs.
// fix: Break the cycle at one of the listed imports: move what both sides need into a third module (e.g. `common/`), pass the dependency in as an argument, or split the module; deleting the deferred import is the usual fix for a deferred-only cycle.
// message: Import cycle of {size} modules: {members}
// column: members
// column: size
// column: deferred_only
// column: imports
// column: path
// column: line
// location: path, line
// identity: members
MATCH (c:ImportCycle {snapshot: $snapshot})<-[p:IN_CYCLE]-(first:Module)
WHERE p.position = 0
WITH c, first
MATCH (first)-[r:IMPORTS]->(second:Module)-[q:IN_CYCLE]->(c)
WHERE q.position = 1
RETURN c.members AS members, c.size AS size, c.deferred_only AS deferred_only, c.closing_imports AS imports,
       first.path AS path, r.line AS line
ORDER BY size, members, deferred_only, imports, path, line
