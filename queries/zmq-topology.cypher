// id: zmq-topology
// title: ZeroMQ topology: who binds and who connects on each port
// severity: info
// category: zmq
// precision: high
// tags: zmq
// what: Lists every bind and connect whose port the scan resolved, port by port and machine by machine (binds first), with the socket kind, the host a connect names, how the port was resolved (`port_source`: literal, constant, imported_constant, self_attr, default_arg, env_default, config, ports_yaml, compose, env) and where its number came from (`port_origin`: `code`, or the config file and line). `peers` counts the endpoints of the other action on the same port anywhere in the repository (0: a bind nobody connects to, or an orphan connect). Endpoints whose port stays unknown are not listed; `analyzer scan` counts them.
// why: A system of a hundred agents wired through numbers is only understandable from a map: which agent serves a port, who depends on it, and which numbers come from code rather than the deployment config.
// fix: Use it to review the wiring, to plan port moves, and to spot ports that still come from code; `analyzer fix port-literals` moves literal ports into the registry.
// message: {path} does a {action} on port {port} ({socket_kind})
// kind: report
// column: port
// column: machine
// column: action
// column: socket_kind
// column: path
// column: line
// column: host
// column: port_source
// column: port_origin
// column: peers
// location: path, line
// identity: port, machine, action, path, socket_kind
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.port IS NOT NULL
RETURN e.port AS port, e.machine AS machine, e.action AS action, e.socket_kind AS socket_kind, e.path AS path,
       e.line AS line, e.host AS host, e.port_source AS port_source, e.port_origin AS port_origin,
       COUNT { MATCH (p:Endpoint {snapshot: $snapshot, port: e.port}) WHERE p.action <> e.action } AS peers
ORDER BY port, machine, action, path, line, socket_kind, host, port_source, port_origin, peers
