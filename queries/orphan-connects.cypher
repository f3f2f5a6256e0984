// id: orphan-connects
// title: Connect to a port that nothing binds
// severity: medium
// category: zmq
// precision: medium
// tags: zmq, reliability
// what: Finds connects whose port the scan resolved (literal, constant, default or deployment config; `port_source` / `port_origin` say how) when no module anywhere in the repository binds that port with a known port. The check is deliberately machine-blind: a connect names a host that is usually a variable, so a bind of the port on either machine counts as its peer. Binds whose port stays unknown (`bind_to_random_port`, ports read at run time from nowhere the scan can see) cannot match, so a connect to such an agent shows up here until its port is resolvable.
// why: ZeroMQ connects succeed without a listener and queue messages silently: a REQ blocks forever on recv, a PUSH fills its high-water mark, a SUB hears nothing. The usual causes are a renumbered or removed agent, a typo in a literal, or a port that only an unseen config knows.
// fix: Point the connect at the port the serving agent binds, through one shared registry (`ports.yaml` read through `get_port`, or the startup config) rather than a literal; `analyzer fix port-literals` rewrites literal ports into registry lookups. Add receive timeouts so a missing peer fails loudly.
// message: Connects to port {port} on {machine}, which nothing binds
// column: path
// column: line
// column: machine
// column: port
// column: socket_kind
// column: host
// column: port_source
// column: port_origin
// location: path, line
// identity: path, port, socket_kind
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.action = 'connect' AND e.port IS NOT NULL
  AND NOT EXISTS { MATCH (b:Endpoint {snapshot: $snapshot, port: e.port}) WHERE b.action = 'bind' }
RETURN e.path AS path, e.line AS line, e.machine AS machine, e.port AS port, e.socket_kind AS socket_kind,
       e.host AS host, e.port_source AS port_source, e.port_origin AS port_origin
ORDER BY path, line, machine, port, socket_kind, host, port_source, port_origin
