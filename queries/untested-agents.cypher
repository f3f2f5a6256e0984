// id: untested-agents
// title: Agents no test reaches
// severity: medium
// category: tests
// precision: high
// tags: testing
// what: Finds agent modules (in agents/ or services/ folders, or serving sockets from a main) that no test module imports, directly or through other modules. Agents that most other agents depend on (`dependent_agents`, the critical path) come first. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A change to an untested agent is only checked when the whole system runs; on the critical path a regression stops every agent downstream.
// fix: Start with the first rows: a test that imports the agent and drives one request through its handler.
// message: No test reaches agent {path}, on which {dependent_agents} agents depend
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: package
// column: dependent_agents
// column: dependents
// location: path, line
// identity: path
MATCH (m:Module {snapshot: $snapshot})
WHERE m.is_agent AND NOT m.tested AND ($include_copies OR NOT m.is_copy)
RETURN m.path AS path, 1 AS line, m.machine AS machine, m.package AS package,
       m.dependent_agents AS dependent_agents, m.dependents AS dependents
ORDER BY dependent_agents DESC, dependents DESC, path, line, machine, package
