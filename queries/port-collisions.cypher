// id: port-collisions
// title: One port bound by two modules on the same machine
// severity: high
// category: zmq
// precision: high
// tags: zmq, reliability
// what: Finds TCP ports that two or more different modules bind on the same machine, counting every port the scan resolved: literals, module and imported constants, `self.port = ...`, parameter and environment defaults, and ports read from the startup config, `ports.yaml`, compose or `.env` (`port_source` says which, `port_origin` where the number came from, e.g. `config:main_pc_code/config/startup_config.yaml:39`). One row per binder and other binder, each at its own bind. Backup copies (`*_backup.py`, `old/`) count by default: a copy left in an agents folder is one launcher entry or one import away from running, and the finding is the cue to delete it; `include_copies=false` leaves them out. Test modules never count, and binds whose port stays unknown cannot be compared.
// why: Only one process can bind a TCP port: whichever agent starts second dies with "Address already in use", or, worse, a restart order change makes the other one fail, and peers connected to the port talk to the wrong agent.
// fix: Give each agent its own port in one registry (`ports.yaml` read through `get_port`, or the startup config) and delete stale copies; `analyzer fix port-literals` rewrites literal ports into registry lookups.
// message: Port {port} on {machine} is also bound by {other_path}:{other_line}
// param: include_copies = True
// column: path
// column: line
// column: machine
// column: port
// column: socket_kind
// column: port_source
// column: port_origin
// column: other_path
// column: other_line
// column: other_socket_kind
// column: other_port_source
// column: other_port_origin
// location: path, line
// identity: machine, port, path, other_path
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.action = 'bind' AND e.port IS NOT NULL AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
MATCH (n:Module {snapshot: $snapshot, machine: m.machine})-[:HAS_ENDPOINT]->(f:Endpoint {port: e.port})
WHERE f.action = 'bind' AND n.path <> m.path AND NOT n.is_test AND ($include_copies OR NOT n.is_copy)
RETURN DISTINCT e.path AS path, e.line AS line, e.machine AS machine, e.port AS port, e.socket_kind AS socket_kind,
       e.port_source AS port_source, e.port_origin AS port_origin, f.path AS other_path, f.line AS other_line,
       f.socket_kind AS other_socket_kind, f.port_source AS other_port_source, f.port_origin AS other_port_origin
ORDER BY machine, port, path, line, other_path, other_line, socket_kind, port_source, port_origin,
         other_socket_kind, other_port_source, other_port_origin
