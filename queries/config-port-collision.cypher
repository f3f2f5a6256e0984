// id: config-port-collision
// title: Two configured agents given the same port on one machine
// severity: high
// category: config
// precision: high
// tags: deployment, zmq
// what: Finds pairs of agents in the startup configs of one machine whose port or health-check port is the same number (one row per agent of each pair, at its own entry).
// why: Only one process can bind a TCP port: whichever agent starts second fails with "Address already in use", or its health check answers for the wrong agent.
// fix: Give each agent its own port (and health-check port) in the config; keep the code reading the port from the config rather than a literal.
// message: {agent} and {other_agent} ({other_path}:{other_line}) are both given port {port} on {machine}
// column: path
// column: line
// column: machine
// column: port
// column: agent
// column: declared_as
// column: other_agent
// column: other_path
// column: other_line
// location: path, line
// identity: path, port, agent, declared_as, other_agent
MATCH (a:ConfiguredAgent {snapshot: $snapshot})-[:HAS_CONFIG_PORT]->(p:ConfigPort)
WHERE p.kind IN ['agent_port', 'health_port'] AND p.port IS NOT NULL
MATCH (b:ConfiguredAgent {snapshot: $snapshot, machine: a.machine})-[:HAS_CONFIG_PORT]->(q:ConfigPort {port: p.port})
WHERE q.kind IN ['agent_port', 'health_port'] AND a.id <> b.id
RETURN DISTINCT p.path AS path, p.line AS line, a.machine AS machine, p.port AS port, a.name AS agent,
       p.name AS declared_as, b.name AS other_agent, q.path AS other_path, q.line AS other_line
ORDER BY path, line, machine, port, agent, declared_as, other_agent, other_path, other_line
