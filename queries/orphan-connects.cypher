// id: orphan-connects
// title: Connect to a port that nothing binds on the machine it reaches
// severity: medium
// category: zmq
// precision: medium
// tags: zmq, reliability
// what: Finds connects with a resolved port when no module binds that port on the machine the connect reaches (`target_machine`: the machine its host names, e.g. `localhost` its own, `PC2_IP` or `pc2_host` the PC2 root; `[tool.analyzer] hosts` adds names). A bind in shared code (no machine) may run anywhere and counts everywhere; a connect whose host names no machine matches a bind on any machine. When modules of the target machine (any machine, for a host that names none) bind ports that stay unknown (`port_source` dynamic), one of them may be the peer: the row's `status` is then `unknown` (`unresolved_binds` counts them), and such rows are listed only with `include_unknown=true`; `orphan` rows are certain. `bound_on` names a machine that does bind the port (the connect may name the wrong host). Test modules never count; copies only with `include_copies=true`.
// why: ZeroMQ connects succeed without a listener and queue messages silently: a REQ blocks forever on recv, a PUSH fills its high-water mark, a SUB hears nothing. The usual causes are a renumbered or removed agent, a typo in a literal, a host naming the wrong machine, or a port that only an unseen config knows.
// fix: Point the connect at the port the serving agent binds, through one shared registry (`ports.yaml` read through `get_port`, or the startup config) rather than a literal, and at the machine it runs on; `analyzer fix port-literals` rewrites literal ports into registry lookups. Add receive timeouts so a missing peer fails loudly.
// message: {site} connects to port {port} on {target_machine|any machine}, where nothing binds it; {bound_on|no other machine} does
// param: include_copies = False
// param: include_unknown = False
// column: path
// column: line
// column: machine
// column: port
// column: socket_kind
// column: host
// column: target_machine
// column: status
// column: unresolved_binds
// column: bound_on
// column: site
// column: port_source
// column: port_origin
// location: path, line
// identity: path, port, socket_kind
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.action = 'connect' AND e.port IS NOT NULL AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
  AND NOT EXISTS {
    MATCH (b:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(n:Module)
    WHERE b.action = 'bind' AND NOT n.is_test AND ($include_copies OR NOT n.is_copy)
      AND (e.target_machine = '' OR b.machine = e.target_machine OR b.machine = '') }
WITH m, e, COUNT {
    MATCH (k:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(u:Endpoint)
    WHERE u.action = 'bind' AND u.port_source = 'dynamic' AND NOT k.is_test AND ($include_copies OR NOT k.is_copy)
      AND (e.target_machine = '' OR u.machine = e.target_machine) } AS unresolved_binds
WHERE $include_unknown OR unresolved_binds = 0
OPTIONAL MATCH (x:Endpoint {snapshot: $snapshot, port: e.port})<-[:HAS_ENDPOINT]-(xm:Module)
WHERE x.action = 'bind' AND NOT xm.is_test AND ($include_copies OR NOT xm.is_copy)
WITH m, e, unresolved_binds, min(x.machine) AS bound_on
RETURN e.path AS path, e.line AS line, e.machine AS machine, e.port AS port, e.socket_kind AS socket_kind,
       e.host AS host, e.target_machine AS target_machine,
       CASE WHEN unresolved_binds = 0 THEN 'orphan' ELSE 'unknown' END AS status, unresolved_binds, bound_on,
       e.site AS site,
       e.port_source AS port_source, e.port_origin AS port_origin
ORDER BY path, line, machine, port, socket_kind, host, target_machine, status, unresolved_binds, bound_on, site,
         port_source, port_origin
