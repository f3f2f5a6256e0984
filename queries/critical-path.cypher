// id: critical-path
// title: Modules that most agents depend on
// severity: medium
// category: structure
// precision: high
// tags: maintainability
// what: Finds the $limit non-test modules that the most agents depend on, directly or through other modules, counting only modules at least $min_agents agents need: breaking or removing one of them stops every one of those agents from starting (`dependent_agents`), out of `dependents` non-test modules that import it directly or transitively; `imported_by` counts its direct importers. `line` is 1: the finding is the whole file. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: These are the system's single points of failure at import time: a syntax error, a renamed name, a new heavy import or an import-time exception there takes down many agents at once, often on both machines, and a change there needs the widest review and tests.
// fix: Keep these modules small and stable, test them first, avoid import-time side effects in them, and split off parts that only a few agents need so a change there reaches fewer agents.
// message: {dependent_agents} agents and {dependents} modules depend on {path}
// param: limit = 20
// param: min_agents = 2
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: dependent_agents
// column: dependents
// column: imported_by
// location: path, line
// identity: path
MATCH (m:Module {snapshot: $snapshot})
WHERE NOT m.is_test AND m.dependent_agents >= $min_agents AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, 1 AS line, m.machine AS machine, m.dependent_agents AS dependent_agents,
       m.dependents AS dependents, m.imports_in AS imported_by
ORDER BY dependent_agents DESC, dependents DESC, path, line, machine, imported_by
LIMIT $limit
