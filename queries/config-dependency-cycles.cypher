// id: config-dependency-cycles
// title: Cycles among configured agents' dependencies
// severity: high
// category: config
// precision: high
// tags: deployment
// what: Lists elementary cycles of the startup configs' dependencies (computed at scan time, members from the smallest name, at most 8 long), located at the first member's entry. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A launcher that starts agents in dependency order cannot order a cycle: it deadlocks waiting for health checks, or starts them in an arbitrary order that the dependencies were meant to prevent.
// fix: Break the cycle: usually one of the dependencies is only needed lazily (at first request) and should not be a startup dependency.
// message: Configured agents depend on each other in a cycle: {members}
// param: include_copies = False
// column: path
// column: line
// column: members
// column: size
// column: machines
// location: path, line
// identity: members
MATCH (c:ConfigDependencyCycle {snapshot: $snapshot})
WHERE $include_copies OR NOT c.is_copy
RETURN c.path AS path, c.line AS line, c.members AS members, c.size AS size, c.machines AS machines
ORDER BY size, members, path, line, machines
