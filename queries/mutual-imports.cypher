// id: mutual-imports
// title: Modules that import each other
// severity: medium
// category: structure
// precision: high
// tags: maintainability
// what: Finds pairs of repository modules where each imports the other (a 2-cycle, `a <-> b`), once per pair: `path` is the module with the smaller path, `line` its first import of `other_path`, and `other_line` the first import back. `deferred` is true when either import sits inside a function or a `try` block. Longer cycles are listed by `import-cycles`, which lists these pairs too.
// why: Two modules that need each other are one module split across two files: neither can be loaded, tested or reused alone, and the import order decides which one sees the other half-initialised (`cannot import name ...` at agent startup).
// fix: Move what both need into a third module, or make the dependency one-way (the lower-level module must not import the agent); a deferred import inside a function only postpones the failure.
// message: {path} and {other_path} import each other
// column: path
// column: line
// column: other_path
// column: other_line
// column: deferred
// location: path, line
// identity: path, other_path
MATCH (a:Module {snapshot: $snapshot})-[there:IMPORTS]->(b:Module)-[back:IMPORTS]->(a)
WHERE a.path < b.path
RETURN a.path AS path, there.line AS line, b.path AS other_path, back.line AS other_line,
       there.deferred OR back.deferred AS deferred
ORDER BY path, other_path, line, other_line, deferred
