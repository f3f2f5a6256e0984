// id: socket-kind-mismatch
// title: Connect and bind on one port with socket kinds that do not pair
// severity: medium
// category: zmq
// precision: medium
// tags: zmq, reliability
// what: Finds a connect and a bind on the same resolved port whose ZeroMQ socket kinds cannot talk to each other, e.g. a REQ connecting to a PUB. Valid pairs, whichever side binds: PUB-SUB, PUB-XSUB, XPUB-SUB, XPUB-XSUB, REQ-REP, REQ-ROUTER, DEALER-REP, DEALER-ROUTER, DEALER-DEALER, ROUTER-ROUTER, PUSH-PULL, PAIR-PAIR (the table is written in the query). A connect is paired with the binds of the port on its own machine, or with the binds on any machine when its own machine has none (its host is usually a variable, so that is the agent it most likely reaches). STREAM sockets and sockets of unknown kind are left out. One row per connect and bind, at the connect.
// why: ZeroMQ refuses or silently drops traffic between incompatible socket types: the handshake fails and the connecting agent blocks forever on its first recv, with no error in either log.
// fix: Change one side to the kind its peer expects (a SUB to hear a PUB, a REQ or DEALER for a REP or ROUTER), or point the connect at the agent it meant; a port registry (`ports.yaml` with a `socket:` per port) keeps the kinds written down next to the numbers.
// message: A {socket_kind} socket connects to port {port}, bound by a {bind_socket_kind} socket at {bind_path}:{bind_line}
// column: path
// column: line
// column: machine
// column: port
// column: socket_kind
// column: bind_socket_kind
// column: bind_path
// column: bind_line
// column: bind_machine
// column: port_source
// location: path, line
// identity: path, port, socket_kind, bind_path, bind_socket_kind
MATCH (c:Endpoint {snapshot: $snapshot})
WHERE c.action = 'connect' AND c.port IS NOT NULL
  AND c.socket_kind IN ['PUB', 'SUB', 'XPUB', 'XSUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PUSH', 'PULL', 'PAIR']
MATCH (b:Endpoint {snapshot: $snapshot, port: c.port})
WHERE b.action = 'bind'
  AND b.socket_kind IN ['PUB', 'SUB', 'XPUB', 'XSUB', 'REQ', 'REP', 'DEALER', 'ROUTER', 'PUSH', 'PULL', 'PAIR']
  AND (b.machine = c.machine
       OR NOT EXISTS { MATCH (s:Endpoint {snapshot: $snapshot, port: c.port, machine: c.machine}) WHERE s.action = 'bind' })
  AND NOT (b.socket_kind + '-' + c.socket_kind) IN [
    'PUB-SUB', 'SUB-PUB', 'PUB-XSUB', 'XSUB-PUB', 'XPUB-SUB', 'SUB-XPUB', 'XPUB-XSUB', 'XSUB-XPUB',
    'REQ-REP', 'REP-REQ', 'REQ-ROUTER', 'ROUTER-REQ', 'DEALER-REP', 'REP-DEALER', 'DEALER-ROUTER', 'ROUTER-DEALER',
    'DEALER-DEALER', 'ROUTER-ROUTER', 'PUSH-PULL', 'PULL-PUSH', 'PAIR-PAIR']
RETURN DISTINCT c.path AS path, c.line AS line, c.machine AS machine, c.port AS port, c.socket_kind AS socket_kind,
       b.socket_kind AS bind_socket_kind, b.path AS bind_path, b.line AS bind_line, b.machine AS bind_machine,
       c.port_source AS port_source
ORDER BY path, line, machine, port, socket_kind, bind_path, bind_line, bind_socket_kind, bind_machine, port_source
