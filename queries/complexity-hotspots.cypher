// id: complexity-hotspots
// title: Functions with very high cyclomatic complexity
// severity: medium
// category: structure
// precision: high
// tags: maintainability
// what: Finds functions and methods whose cyclomatic complexity (radon: one plus every branch, loop, boolean operator, except and comprehension condition) is at least $min, most complex first. `function` is the qualified name (`Class.method`, `outer.inner`). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A function with twenty or more paths through it cannot be tested path by path; in agents these are typically message dispatchers and request routers, where one unhandled branch silently drops a request and every new message type makes the next change riskier.
// fix: Replace the if/elif chain with a table from message type to handler, extract each branch into a named function, and return early; test the handlers one by one.
// message: {function} has cyclomatic complexity {complexity}
// param: min = 20
// param: include_copies = False
// column: path
// column: line
// column: function
// column: complexity
// location: path, line
// identity: path, function
MATCH (m:Module {snapshot: $snapshot})-[:DEFINES_FUNCTION]->(f:Function)
WHERE f.complexity >= $min AND ($include_copies OR NOT m.is_copy)
RETURN f.path AS path, f.line AS line, f.qualname AS function, f.complexity AS complexity
ORDER BY complexity DESC, path, line, function
