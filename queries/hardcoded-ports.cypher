// id: hardcoded-ports
// title: Bind or connect with a port written into the code
// severity: medium
// category: zmq
// precision: very-high
// tags: zmq, configuration, maintainability
// what: Finds binds and connects whose TCP port is written into the code instead of read from the ports registry: a literal in the endpoint (`"tcp://*:5556"`) or a name given a number in the same file, at module, class or function level (`PORT = 5560` then `f"tcp://*:{PORT}"`), the sites `analyzer fix port-literals` rewrites (a port two live modules bind is a collision it leaves until `port-collisions` is resolved). Ports the deployment supplies (`get_port("NAME")`, the startup config, `.env`, compose) are not flagged, nor are fallbacks the deployment overrides (parameter and environment defaults), ports set on `self` or imported from another module, test modules and copies (`include_copies=true` adds copies). Meant as a gate for new code: baseline the existing sites (`analyzer baseline`) and every new literal port fails `analyzer check`.
// why: A port written into an agent is one more place to change when ports move: two agents end up on one port, a connect keeps the number its peer gave up, and nobody can see the system's port map without reading every file. One registry per machine (`<machine>/config/ports.yaml`, read through `agent_runtime.get_port`) is the single place to review and change.
// fix: Read the port from the registry (`get_port("TRANSLATOR_AGENT_REP")`), adding the name to the machine's `config/ports.yaml`; `analyzer fix port-literals` does both for every flagged site outside a collision.
// fixed_by: port-literals
// message: Port {port} of this {action} is written into the code ({port_source}), not read from the ports registry
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: action
// column: port
// column: port_source
// column: socket_kind
// column: endpoint
// location: path, line
// identity: path, action, port, port_source
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.port IS NOT NULL AND e.port_source IN ['literal', 'constant'] AND NOT m.is_test
  AND ($include_copies OR NOT m.is_copy)
RETURN e.path AS path, e.line AS line, e.machine AS machine, e.action AS action, e.port AS port,
       e.port_source AS port_source, e.socket_kind AS socket_kind, e.endpoint AS endpoint
ORDER BY path, line, machine, action, port, port_source, socket_kind, endpoint
