// id: config-missing-script
// title: Configured agents whose script does not exist
// severity: high
// category: config
// precision: high
// tags: deployment
// what: Finds agents in a startup config whose script_path resolves to no file (tried relative to the repository root, the config's folder and its parent, and the machine root). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: The launcher fails to start the agent, and a `required` agent stops the whole machine from coming up; everything that depends on it waits for a health check that never answers.
// fix: Point script_path at the agent's current file (it was probably renamed or moved), or remove the entry if the agent is gone.
// message: {agent} is configured to run {script}, which does not exist
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: agent
// column: script
// location: path, line
// identity: path, agent, script
MATCH (a:ConfiguredAgent {snapshot: $snapshot})
WHERE NOT a.script_found AND ($include_copies OR NOT a.is_copy)
RETURN a.path AS path, a.line AS line, a.machine AS machine, a.name AS agent, a.script AS script
ORDER BY path, line, agent, script
