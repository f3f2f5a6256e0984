// id: config-malformed
// title: Deployment config files that do not parse
// severity: high
// category: config
// precision: high
// tags: deployment
// what: Finds startup configs, ports.yaml registries and compose files that are not valid YAML (or not UTF-8), and registries the agents' own runtime refuses (a name that is not UPPER_SNAKE_CASE, a port given twice on one machine, an unknown field), with the parser's or the runtime's message and line. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: The launcher or the port registry refuses the file at startup, so the agents it lists do not start; and nothing in it (agents, ports, dependencies) is visible to the other checks.
// fix: Fix the YAML at the reported line (usually indentation, a tab, or an unclosed bracket or quote); for a refused registry, what the message asks (docs/runtime.md lists the rules).
// message: {path} does not parse as {kind}: {message}
// param: include_copies = False
// column: path
// column: line
// column: kind
// column: error
// column: message
// location: path, line
// identity: path, kind, error
MATCH (f:ConfigFile {snapshot: $snapshot})
WHERE f.parse_status <> 'ok' AND ($include_copies OR NOT f.is_copy)
RETURN f.path AS path, f.error_line AS line, f.kind AS kind, f.error_kind AS error, f.error_message AS message
ORDER BY path, line, kind, error, message
