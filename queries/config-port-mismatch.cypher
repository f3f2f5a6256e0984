// id: config-port-mismatch
// title: Code binds a different port than its startup config declares
// severity: high
// category: config
// precision: medium
// tags: deployment, zmq
// what: Finds binds with a known port in a module that a configured agent runs, when none of that module's binds uses the agent's configured port (its health-check port does not count as a mismatch). Ports the code only has a fallback for were already replaced by the config's value, so what is left is a number the code fixes: a literal, a constant or `self.port = 5570`.
// why: Peers connect to the port the config (or the port registry) announces, and the health checker probes it; the agent listens elsewhere, so requests time out and the agent is reported dead while running.
// fix: Read the port from the config (a constructor argument or get_port) instead of a literal, or correct the config.
// message: {agent} binds {code_port} in its code ({code_port_source}) but {config_path}:{config_line} gives it {config_port}
// column: path
// column: line
// column: machine
// column: agent
// column: config_port
// column: code_port
// column: code_port_source
// column: config_path
// column: config_line
// location: path, line
// identity: path, agent, config_port, code_port
MATCH (a:ConfiguredAgent {snapshot: $snapshot})-[:RUNS]->(m:Module)-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE a.port IS NOT NULL AND e.action = 'bind' AND e.port IS NOT NULL AND e.port <> a.port
  AND (a.health_port IS NULL OR e.port <> a.health_port)
  AND NOT EXISTS { MATCH (m)-[:HAS_ENDPOINT]->(f:Endpoint) WHERE f.action = 'bind' AND f.port = a.port }
RETURN e.path AS path, e.line AS line, a.machine AS machine, a.name AS agent, a.port AS config_port,
       e.port AS code_port, e.port_source AS code_port_source, a.path AS config_path, a.line AS config_line
ORDER BY path, line, machine, agent, config_port, code_port, code_port_source, config_path, config_line
