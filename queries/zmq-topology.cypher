// id: zmq-topology
// title: ZeroMQ topology: who binds and who connects on each port
// severity: info
// category: zmq
// precision: high
// tags: zmq
// what: Lists every bind and connect whose port the scan resolved, port by port and machine by machine (binds first), with the socket kind, the host a connect names and the machine it reaches (`target_machine`), where the number comes from (`port_source`, `port_origin`: the file and line it is written at, in code or config) how sure it is (`port_confidence`) and, for a `self.X` given several values, all of them (`port_candidates`); docs/configs.md, "Ports", defines each. `peers` counts the endpoints that can pair with it: for a bind, the connects whose host reaches its machine or names none; for a connect, the binds on the machine it reaches (any machine when its host names none) and in shared code (0: a bind nobody connects to, or an orphan connect). Endpoints whose port stays unknown are not listed; `analyzer scan` counts them. Test modules are left out, copies with `include_copies=false` (the default).
// why: A system of a hundred agents wired through numbers is only understandable from a map: which agent serves a port, who depends on it, and which numbers come from code rather than the deployment config.
// fix: Use it to review the wiring, to plan port moves, and to spot ports that still come from code; `analyzer fix port-literals` moves literal ports into the registry.
// message: {site} does a {action} on port {port} ({socket_kind}) on {target_machine|an unknown machine}
// kind: report
// param: include_copies = False
// column: port
// column: machine
// column: action
// column: socket_kind
// column: path
// column: line
// column: host
// column: target_machine
// column: port_source
// column: port_confidence
// column: port_origin
// column: port_candidates
// column: site
// column: peers
// location: path, line
// identity: port, machine, action, path, socket_kind
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.port IS NOT NULL AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
RETURN e.port AS port, e.machine AS machine, e.action AS action, e.socket_kind AS socket_kind, e.path AS path,
       e.line AS line, e.host AS host, e.target_machine AS target_machine, e.port_source AS port_source,
       e.port_confidence AS port_confidence, e.port_origin AS port_origin, e.port_candidates AS port_candidates,
       e.site AS site,
       COUNT { MATCH (p:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(n:Module)
               WHERE p.action <> e.action AND NOT n.is_test AND ($include_copies OR NOT n.is_copy)
                 AND (e.target_machine = '' OR p.target_machine = '' OR p.target_machine = e.target_machine
                      OR p.machine = '' OR e.machine = '') } AS peers
ORDER BY port, machine, action, path, line, socket_kind, host, target_machine, port_source, port_confidence,
         port_origin, port_candidates, site, peers
