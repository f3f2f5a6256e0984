// id: config-undeclared-dependency
// title: Configured agents depending on an agent no config declares
// severity: medium
// category: config
// precision: high
// tags: deployment
// what: Finds startup-config entries whose dependencies name an agent that is declared in no startup config of the repository (on any machine). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: A launcher that orders startup by dependencies waits for an agent that never starts, or skips the check; either way the dependency is a typo, a renamed agent or one that was removed.
// fix: Correct the dependency's name, declare the missing agent, or drop the dependency.
// message: {agent} depends on {undeclared}, which no config declares
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: agent
// column: undeclared
// location: path, line
// identity: path, agent, undeclared
MATCH (a:ConfiguredAgent {snapshot: $snapshot})
WHERE a.undeclared_dependencies <> '' AND ($include_copies OR NOT a.is_copy)
RETURN a.path AS path, a.line AS line, a.machine AS machine, a.name AS agent, a.undeclared_dependencies AS undeclared
ORDER BY path, line, machine, agent, undeclared
