// id: god-objects
// title: Classes with too many methods
// severity: medium
// category: structure
// precision: high
// tags: maintainability
// what: Finds classes that define at least $min_methods methods. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Such god objects mix many responsibilities, so every change risks breaking an unrelated one and they cannot be tested in parts.
// fix: Split the class along its responsibilities (one class per concern, composed by the agent).
// message: Class {class} has {methods} methods
// param: min_methods = 60
// param: include_copies = False
// column: path
// column: line
// column: class
// column: methods
// location: path, line
// identity: path, class
MATCH (m:Module {snapshot: $snapshot})-[:DEFINES_CLASS]->(c:Class)
WHERE c.method_count >= $min_methods AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, c.line AS line, c.name AS class, c.method_count AS methods
ORDER BY methods DESC, path, line
