// id: config-port-collision
// title: Two configured agents given the same port on one machine
// severity: high
// category: config
// precision: high
// tags: deployment, zmq
// what: Finds ports that the startup configs of one machine give to two or more agents, as an agent's port or health-check port. One row per machine and port, at its first declaration (by file, then line), naming the next agent given it; `agents` counts the declarations of the port on the machine. An agent whose health check shares its own port is one agent, not a collision.
// why: Only one process can bind a TCP port: whichever agent starts second fails with "Address already in use", or its health check answers for the wrong agent.
// fix: Give each agent its own port (and health-check port) in the config; keep the code reading the port from the config rather than a literal.
// message: {agent} ({path}:{line}) and {other_agent} ({other_path}:{other_line}) are both given port {port} on {machine}
// column: path
// column: line
// column: machine
// column: port
// column: agent
// column: declared_as
// column: other_agent
// column: other_declared_as
// column: other_path
// column: other_line
// column: agents
// location: path, line
// identity: machine, port
MATCH (a:ConfiguredAgent {snapshot: $snapshot})-[:HAS_CONFIG_PORT]->(p:ConfigPort)
WHERE p.kind IN ['agent_port', 'health_port'] AND p.port IS NOT NULL
  AND NOT EXISTS {
    MATCH (x:ConfiguredAgent {snapshot: $snapshot, machine: a.machine})-[:HAS_CONFIG_PORT]->(first:ConfigPort {port: p.port})
    WHERE first.kind IN ['agent_port', 'health_port']
      AND (first.path < p.path OR (first.path = p.path AND first.line < p.line)) }
MATCH (b:ConfiguredAgent {snapshot: $snapshot, machine: a.machine})-[:HAS_CONFIG_PORT]->(q:ConfigPort {port: p.port})
WHERE q.kind IN ['agent_port', 'health_port'] AND b.id <> a.id
  AND NOT EXISTS {
    MATCH (y:ConfiguredAgent {snapshot: $snapshot, machine: a.machine})-[:HAS_CONFIG_PORT]->(g:ConfigPort {port: p.port})
    WHERE g.kind IN ['agent_port', 'health_port'] AND y.id <> a.id
      AND (g.path < q.path OR (g.path = q.path AND g.line < q.line)) }
RETURN p.path AS path, p.line AS line, a.machine AS machine, p.port AS port, a.name AS agent, p.name AS declared_as,
       b.name AS other_agent, q.name AS other_declared_as, q.path AS other_path, q.line AS other_line,
       COUNT { MATCH (z:ConfiguredAgent {snapshot: $snapshot, machine: a.machine})-[:HAS_CONFIG_PORT]->(r:ConfigPort {port: p.port})
               WHERE r.kind IN ['agent_port', 'health_port'] } AS agents
ORDER BY path, line, machine, port, agent, declared_as, other_agent, other_declared_as, other_path, other_line, agents
