// id: cross-machine-ports
// title: One port bound on both machines
// severity: low
// category: zmq
// precision: medium
// tags: zmq, deployment
// what: Finds TCP ports that modules on two different machines both bind (resolved the same ways as in port-collisions: literals, constants, defaults and deployment configs), one row per binder and binder on the other machine, each at its own bind. Code outside the machine roots (shared `common/` code) has no machine and is left out, as are test modules and binds whose port stays unknown; backup copies count unless `include_copies=false`.
// why: Each machine has its own port space, so both agents start; but a peer that connects to the port reaches whichever agent its host names, and a wrong or defaulted host (`localhost` after an agent moves machines, one host in a dev or single-box deployment) silently talks to the wrong agent, or the two collide outright when both run on one host.
// fix: Give every agent a port unique across the system in one registry (`ports.yaml` read through `get_port`); `analyzer fix port-literals` rewrites literal ports into registry lookups.
// message: Port {port} is bound on {machine} here and on {other_machine} by {other_path}:{other_line}
// param: include_copies = True
// column: path
// column: line
// column: machine
// column: port
// column: socket_kind
// column: port_source
// column: other_path
// column: other_line
// column: other_machine
// column: other_socket_kind
// location: path, line
// identity: port, path, other_path
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.action = 'bind' AND e.port IS NOT NULL AND m.machine <> '' AND NOT m.is_test
  AND ($include_copies OR NOT m.is_copy)
MATCH (n:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(f:Endpoint {port: e.port})
WHERE f.action = 'bind' AND n.machine <> '' AND n.machine <> m.machine AND NOT n.is_test
  AND ($include_copies OR NOT n.is_copy)
RETURN DISTINCT e.path AS path, e.line AS line, e.machine AS machine, e.port AS port, e.socket_kind AS socket_kind,
       e.port_source AS port_source, f.path AS other_path, f.line AS other_line, f.machine AS other_machine,
       f.socket_kind AS other_socket_kind
ORDER BY port, machine, path, line, other_machine, other_path, other_line, socket_kind, port_source,
         other_socket_kind
