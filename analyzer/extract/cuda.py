"""CUDA use: `.cuda()`, `.to("cuda")`, `.to(device)`, `device="cuda"`, and `torch.cuda.*` calls.

`.to(x)` is a move to the GPU (`to_cuda`) when `x` names CUDA (`"cuda:0"`,
`torch.device("cuda")`) or is a device variable: a name or attribute called
`device` or `*_device` (`self.device`, `DEVICE`, `gpu_device`; never one with `cpu`
in it), or one the file assigns a CUDA value (`dev = "cuda" if ok else "cpu"`).
Agents pick their device once and move everything with `.to(self.device)`.
"""

from __future__ import annotations

import re

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import CudaFact


_DEVICE_NAME_RE = re.compile(r"(^|_)device$", re.I)


def _names_cuda(node: cst.BaseExpression) -> bool:
    if type(node) is cst.SimpleString:
        value = node.evaluated_value
        return isinstance(value, str) and value.startswith("cuda")
    if type(node) is cst.Call and dotted_name(node.func) in ("torch.device", "device") and node.args:
        return _names_cuda(node.args[0].value)
    if type(node) is cst.IfExp:  # "cuda" if torch.cuda.is_available() else "cpu"
        return _names_cuda(node.body) or _names_cuda(node.orelse)
    return False


def _is_device_name(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return bool(_DEVICE_NAME_RE.search(last)) and "cpu" not in last.lower()


class CudaExtractor(Extractor):
    facts_field = "cuda_calls"
    EXAMPLES = [
        Example("model = model.cuda()\n", [{"kind": "cuda_method"}]),
        Example("x = x.to('cuda:0')\n", [{"kind": "to_cuda"}]),
        Example("x = t.to(device=torch.device('cuda'))\n", [{"kind": "to_cuda"}]),
        Example("class Agent:\n    def infer(self, batch):\n        return batch.to(self.device)\n",
                [{"kind": "to_cuda", "call": "batch.to", "function": "Agent.infer"}]),
        Example("dev = 'cuda' if ok else 'cpu'\nx = x.to(dev)\ny = y.to(DEVICE, non_blocking=True)\n",
                [{"kind": "to_cuda", "line": 2}, {"kind": "to_cuda", "line": 3}]),
        Example("m = load(path, device='cuda')\n", [{"kind": "device_arg", "call": "load"}]),
        Example("torch.cuda.empty_cache()\nn = torch.cuda.device_count()\n",
                [{"kind": "empty_cache", "call": "torch.cuda.empty_cache"}, {"kind": "torch_cuda", "call": "torch.cuda.device_count"}]),
        Example("x = x.to('cpu')\nm = load(path, device='cpu')\ny = y.to(cpu_device)\nz = z.to(dtype)\n", []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.cuda_names: set[str] = set()  # names the file assigns a CUDA value to

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        if _names_cuda(node.value):
            self.cuda_names.update(name for target in node.targets if (name := dotted_name(target.target)))

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        callee = dotted_name(node.func)
        kind = self._kind(node, callee)
        if kind:
            self.context.facts.cuda_calls.append(
                CudaFact(self.context.line_of(node), kind, callee or self.context.code(node.func), scope.function)
            )

    def _device_variable(self, node: cst.BaseExpression) -> bool:
        name = dotted_name(node)
        return bool(name) and (_is_device_name(name) or name in self.cuda_names)

    def _kind(self, node: cst.Call, callee: str) -> str:
        if callee.startswith("torch.cuda."):
            return "empty_cache" if callee == "torch.cuda.empty_cache" else "torch_cuda"
        if type(node.func) is cst.Attribute:
            method = node.func.attr.value
            if method == "cuda":
                return "cuda_method"
            if method == "to" and any(_names_cuda(arg.value) or self._device_variable(arg.value) for arg in node.args):
                return "to_cuda"
        if any(arg.keyword is not None and arg.keyword.value == "device" and _names_cuda(arg.value) for arg in node.args):
            return "device_arg"
        return ""
