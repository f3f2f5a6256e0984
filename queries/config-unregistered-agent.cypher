// id: config-unregistered-agent
// title: Agent modules that no startup config runs
// severity: medium
// category: config
// precision: medium
// tags: deployment
// what: Finds agent modules (in an agents/ or services/ folder, or serving sockets from a main) that bind a socket or run a main loop, on a machine that has a startup config, but that no configured agent's script_path points to. Tests are left out. Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Nothing starts such an agent in deployment, so its sockets are never served; or it is started by hand, outside the launcher's health checks, dependency order and port plan.
// fix: Add the agent to its machine's startup config with its port, or delete it if it is dead code.
// message: Agent module {module} is run by no startup config of {machine}
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: module
// column: binds
// column: main_guard
// location: path, line
// identity: path, module
MATCH (m:Module {snapshot: $snapshot})
WHERE m.is_agent AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
  AND (m.has_main_guard OR EXISTS { MATCH (m)-[:HAS_ENDPOINT]->(e:Endpoint) WHERE e.action = 'bind' })
  AND NOT EXISTS { MATCH (r:ConfiguredAgent)-[:RUNS]->(m) }
  AND EXISTS { MATCH (c:ConfiguredAgent {snapshot: $snapshot}) WHERE c.machine = m.machine }
RETURN m.path AS path, 1 AS line, m.machine AS machine, m.name AS module,
       COUNT { MATCH (m)-[:HAS_ENDPOINT]->(b:Endpoint) WHERE b.action = 'bind' } AS binds,
       m.has_main_guard AS main_guard
ORDER BY path, line, machine, module, binds, main_guard
