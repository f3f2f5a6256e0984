// id: import-cycles
// title: Import cycles between repository modules
// severity: high
// category: structure
// precision: high
// tags: maintainability, reliability
// what: Lists every elementary import cycle once (up to 8 modules long; a pair of modules that import each other is a cycle of 2), its members as dotted module names rotated to start at the smallest name, the import that closes each step (`imports`: `path:line` of each member's import of the next member, in member order), its size, and its `timing`: `lazy` when one step is imported only inside functions (the cycle closes when that function runs, not at import time), else `guarded` when one step is imported at import time only inside a `try` with except handlers (the cycle runs at import time and the handler swallows the ImportError it raises), else `import-time`. `path`/`line` is the first member's import of the second. Imports resolve the way the agents' `sys.path` does (a machine root and the repository root), and a standard-library name such as `logging` never resolves to a same-named repository folder. Cycles with a copy among their members are left out unless $include_copies (dead-code-on-path reports live code importing a copy).
// why: A module in a cycle cannot be imported, tested or moved on its own; which side of the cycle finishes initialising first depends on which agent imported it first, so a new import elsewhere turns working code into `ImportError: cannot import name` or a half-initialised module at startup. A guarded cycle is no safer: `try: from agents.b import B / except ImportError: B = None` hides that error, and the agent runs on with `B` set to None until the first call fails far from the cause. Lazy imports only postpone the cycle until the function runs.
// fix: Break the cycle at one of the listed imports: move what both sides need into a third module (e.g. `common/`), pass the dependency in as an argument, or split the module. Never fix a cycle with a try/except around the import; removing the lazy import is the usual fix for a lazy cycle.
// message: Import cycle of {size} modules ({timing}): {members}, closed by the imports at {imports}
// param: include_copies = False
// column: members
// column: size
// column: timing
// column: imports
// column: path
// column: line
// location: path, line
// identity: members
MATCH (c:ImportCycle {snapshot: $snapshot})<-[p0:IN_CYCLE]-(first:Module)
WHERE p0.position = 0
  AND ($include_copies OR NOT EXISTS { MATCH (x:Module)-[:IN_CYCLE]->(c) WHERE x.is_copy })
WITH c, first
MATCH (first)-[r:IMPORTS]->(second:Module)-[p1:IN_CYCLE]->(c)
WHERE p1.position = 1
RETURN c.members AS members, c.size AS size, c.timing AS timing, c.closing_imports AS imports,
       first.path AS path, r.line AS line
ORDER BY size, members, timing, imports, path, line
