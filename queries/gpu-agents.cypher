// id: gpu-agents
// title: Modules that use the GPU, whether they free its cache, and whether they serve sockets
// severity: info
// category: gpu
// precision: high
// tags: gpu
// what: Lists every module with a CUDA use (`.cuda()`, `.to("cuda")`, `device="cuda"`, `torch.cuda.*`) per machine: where its first one is, how many it has, whether it ever calls `torch.cuda.empty_cache()`, and how many ZeroMQ sockets it opens (an agent serving requests on the GPU). Copies (docs/copies.md) are left out unless $include_copies.
// why: GPU memory is shared by every agent on a machine: a long-running agent that loads models or moves tensors to the GPU per request and never releases cached blocks starves the others until one dies with CUDA out of memory, and when that agent also serves a socket, the failure shows up as timeouts on its peers.
// fix: For modules with sockets and no `empty_cache`: release tensors after each request (`del`, `torch.no_grad()`), call `torch.cuda.empty_cache()` after unloading a model or on OOM, and load models once at startup; check that the machine's GPU agents fit its memory together.
// message: {module} makes {cuda_calls} CUDA calls
// kind: report
// param: include_copies = False
// column: path
// column: line
// column: machine
// column: module
// column: cuda_calls
// column: empty_cache
// column: sockets
// location: path, line
// identity: path
MATCH (m:Module {snapshot: $snapshot})-[:HAS_CUDA_CALL]->(g:CudaCall)
WHERE $include_copies OR NOT m.is_copy
WITH m, min(g.line) AS line, count(g) AS cuda_calls,
     count(CASE WHEN g.kind = 'empty_cache' THEN 1 END) > 0 AS empty_cache
RETURN m.path AS path, line, m.machine AS machine, m.name AS module, cuda_calls, empty_cache,
       COUNT { MATCH (m)-[:HAS_SOCKET]->(s:Socket) } AS sockets
ORDER BY machine, path, line, module, cuda_calls, empty_cache, sockets
