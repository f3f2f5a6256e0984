// id: config-port-conflict
// title: The code computes a different port than the startup config declares
// severity: high
// category: config
// precision: medium
// tags: deployment, zmq
// what: Finds sockets whose port the code fixes or computes (a literal, a constant, `self.X = ...`, `port + 1`, a default) while the startup config of the agent running the module declares another number for the same socket. A config value declares a socket when the socket's port expression is named for it (`PORT` or `self.port` for the agent's port, `self.health_check_port` for its health-check port, `translator_port` for that param; connects only by a param), or when the agent's port is used by none of the module's binds: then it declares each bind with a known port other than the health-check port. The code's number stays the endpoint's port (analyzer/endpoints.py): the config is evidence, not a replacement. Test modules never count; copies only with `include_copies=true`.
// why: Peers connect to the port the config (or the port registry) announces, and the health checker probes it; the agent listens elsewhere, so requests time out and the agent is reported dead while running.
// fix: Read the port from the config (a constructor argument, `args.port`, `get_port`) instead of computing it, or correct the config.
// message: {agent} is given {declared_as} {config_port} at {config_path}:{config_line}, but its code at {site} uses {code_port} ({code_port_source})
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: agent
// column: declared_as
// column: config_port
// column: code_port
// column: code_port_source
// column: port_expr
// column: site
// column: config_path
// column: config_line
// location: path, line
// identity: path, agent, declared_as, config_port, code_port
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)-[:CONFIGURED_AS]->(p:ConfigPort)
WHERE e.port IS NOT NULL AND p.port IS NOT NULL AND e.port <> p.port AND NOT m.is_test
  AND ($include_copies OR NOT m.is_copy)
RETURN e.path AS path, e.line AS line, e.machine AS machine, p.agent AS agent, p.name AS declared_as,
       p.port AS config_port, e.port AS code_port, e.port_source AS code_port_source, e.port_expr AS port_expr,
       e.site AS site, p.path AS config_path, p.line AS config_line
ORDER BY path, line, machine, agent, declared_as, config_port, code_port, code_port_source, port_expr, site,
         config_path, config_line
