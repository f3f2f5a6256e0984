// id: socket-kind-mismatch
// title: Connect and bind on one port with socket kinds that do not pair
// severity: medium
// category: zmq
// precision: medium
// tags: zmq, reliability
// what: Finds a connect and a bind on the same resolved port whose ZeroMQ socket kinds cannot talk to each other, e.g. a REQ connecting to a PUB. Valid pairs, whichever side binds: PUB-SUB, PUB-XSUB, XPUB-SUB, XPUB-XSUB, REQ-REP, REQ-ROUTER, DEALER-REP, DEALER-ROUTER, DEALER-DEALER, ROUTER-ROUTER, PUSH-PULL, PAIR-PAIR (the table is written in the query). A connect is judged against the binds on the machine it reaches (`target_machine`, from its host) and binds in shared code; a connect whose host names no machine is judged against the binds on its own machine, or on any machine when its own has none. STREAM sockets and sockets of unknown kind are left out; test modules never count, copies only with `include_copies=true`. One row per connect and bind, at the connect.
// why: ZeroMQ refuses or silently drops traffic between incompatible socket types: the handshake fails and the connecting agent blocks forever on its first recv, with no error in either log.
// fix: Change one side to the kind its peer expects (a SUB to hear a PUB, a REQ or DEALER for a REP or ROUTER), or point the connect at the agent it meant; a port registry (`ports.yaml` with a `socket:` per port) keeps the kinds written down next to the numbers.
// message: A {socket_kind} socket at {site} connects to port {port}, bound on {bind_machine|shared code} by a {bind_socket_kind} socket at {bind_site}
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: port
// column: socket_kind
// column: target_machine
// column: bind_socket_kind
// column: bind_path
// column: bind_line
// column: bind_machine
// column: site
// column: bind_site
// column: port_source
// location: path, line
// identity: path, port, socket_kind, bind_path, bind_socket_kind
MATCH (cm:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(c:Endpoint)
WHERE c.action = 'connect' AND c.port IS NOT NULL AND NOT cm.is_test AND ($include_copies OR NOT cm.is_copy)
  AND c.socket_kind IN ['PUB', 'SUB', 'XPUB', 'XSUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PUSH', 'PULL', 'PAIR']
MATCH (b:Endpoint {snapshot: $snapshot, port: c.port})<-[:HAS_ENDPOINT]-(bm:Module)
WHERE b.action = 'bind' AND NOT bm.is_test AND ($include_copies OR NOT bm.is_copy)
  AND b.socket_kind IN ['PUB', 'SUB', 'XPUB', 'XSUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PUSH', 'PULL', 'PAIR']
  AND (b.machine = '' OR b.machine = c.target_machine
       OR (c.target_machine = '' AND (b.machine = c.machine OR NOT EXISTS {
             MATCH (s:Endpoint {snapshot: $snapshot, port: c.port})<-[:HAS_ENDPOINT]-(sm:Module)
             WHERE s.action = 'bind' AND s.machine = c.machine AND NOT sm.is_test
               AND ($include_copies OR NOT sm.is_copy) })))
  AND NOT (b.socket_kind + '-' + c.socket_kind) IN [
    'PUB-SUB', 'SUB-PUB', 'PUB-XSUB', 'XSUB-PUB', 'XPUB-SUB', 'SUB-XPUB', 'XPUB-XSUB', 'XSUB-XPUB',
    'REQ-REP', 'REP-REQ', 'REQ-ROUTER', 'ROUTER-REQ', 'DEALER-REP', 'REP-DEALER', 'DEALER-ROUTER', 'ROUTER-DEALER',
    'DEALER-DEALER', 'ROUTER-ROUTER', 'PUSH-PULL', 'PULL-PUSH', 'PAIR-PAIR']
RETURN DISTINCT c.path AS path, c.line AS line, c.machine AS machine, c.port AS port, c.socket_kind AS socket_kind,
       c.target_machine AS target_machine, b.socket_kind AS bind_socket_kind, b.path AS bind_path,
       b.line AS bind_line, b.machine AS bind_machine, c.site AS site, b.site AS bind_site,
       c.port_source AS port_source
ORDER BY path, line, machine, port, socket_kind, target_machine, bind_path, bind_line, bind_socket_kind, bind_machine,
         site, bind_site, port_source
