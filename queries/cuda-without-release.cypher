// id: cuda-without-release
// title: GPU memory taken per request and never released
// severity: medium
// category: gpu
// precision: medium
// tags: gpu, performance
// what: Finds modules that move models or tensors to CUDA in a per-request function (`line`, `per_request`) without all of: a `del` of what they moved, `torch.cuda.empty_cache()`, and a `torch.no_grad()` / `inference_mode()` guard for inference; and GPU agents that move anything to CUDA and call `empty_cache` nowhere (`line` is then their first CUDA move). Copies (archived, backup and reference copies, docs/copies.md) are left out unless $include_copies.
// why: Each request leaves tensors and autograd buffers on the GPU until the allocator runs out and the agent dies with CUDA out-of-memory, taking other agents on the card with it.
// fix: Run inference under `torch.inference_mode()`, `del` the request's tensors when done and call `torch.cuda.empty_cache()` after large batches or on OutOfMemoryError.
// message: {path} moves tensors to the GPU per request and never releases them
// param: include_copies = False
// column: path
// column: line
// column: per_request
// column: frees_tensors
// column: empties_cache
// column: inference_guard
// location: path, line
// identity: path
MATCH (m:Module {snapshot: $snapshot})-[:HAS_CUDA_CALL]->(g:CudaCall)
WHERE g.kind IN ['cuda_method', 'to_cuda', 'device_arg'] AND ($include_copies OR NOT m.is_copy)
WITH m, min(g.line) AS first_move
WITH m, first_move, COUNT { MATCH (m)-[:HAS_CUDA_CALL]->(e:CudaCall) WHERE e.kind = 'empty_cache' } > 0 AS emptied
WHERE (m.request_cuda_line > 0 AND NOT (emptied AND m.frees_tensors AND m.inference_guard))
   OR (m.is_agent AND NOT emptied)
RETURN m.path AS path, CASE WHEN m.request_cuda_line > 0 THEN m.request_cuda_line ELSE first_move END AS line,
       m.request_cuda_line > 0 AS per_request, m.frees_tensors AS frees_tensors, emptied AS empties_cache,
       m.inference_guard AS inference_guard
ORDER BY path, line, per_request, frees_tensors, empties_cache, inference_guard
