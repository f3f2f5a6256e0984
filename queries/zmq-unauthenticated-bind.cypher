// id: zmq-unauthenticated-bind
// title: ZeroMQ sockets open to the network without CURVE or ZAP
// severity: high
// category: security
// precision: medium
// tags: security, zmq, CWE-306
// what: Finds ZeroMQ binds on every interface (`*`, `0.0.0.0`, `::`) or on a non-loopback IP address, in a module that never sets CURVE keys (`curve_server`, `curve_secretkey`, `setsockopt(zmq.CURVE_SERVER, ...)`) nor starts a ZAP authenticator. Test modules are left out, copies unless `include_copies=true`.
// why: Any host that can reach the port can then send commands to the agent or read what it publishes, in clear text.
// fix: Bind on 127.0.0.1 when only local agents connect; otherwise give the socket a CURVE key pair and start a ThreadAuthenticator with the clients' public keys. ipc:// and inproc:// binds and unknown hosts are not flagged.
// message: A {socket_kind} socket at {path}:{line} binds {endpoint}, open to the network without CURVE or ZAP
// param: include_copies = False
// column: path
// column: line
// column: endpoint
// column: host
// column: port
// column: socket_kind
// location: path, line
// identity: path, endpoint
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
WHERE e.action = 'bind' AND NOT m.uses_curve AND NOT m.is_test AND ($include_copies OR NOT m.is_copy)
  AND e.scheme IN ['tcp', 'ws', 'wss', 'udp', 'pgm', 'epgm']
  AND (e.host IN ['*', '0.0.0.0', '::', '[::]']
       OR (e.host =~ '[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}' AND NOT e.host STARTS WITH '127.'))
RETURN m.path AS path, e.line AS line, e.endpoint AS endpoint, e.host AS host, e.port AS port,
       e.socket_kind AS socket_kind
ORDER BY path, line, endpoint, host, port, socket_kind
