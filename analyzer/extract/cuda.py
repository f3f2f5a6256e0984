"""CUDA use: `.cuda()`, `.to("cuda")`, `device="cuda"`, and `torch.cuda.*` calls."""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import CudaFact


def _names_cuda(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return isinstance(value, str) and value.startswith("cuda")
    if isinstance(node, cst.Call) and dotted_name(node.func) in ("torch.device", "device") and node.args:
        return _names_cuda(node.args[0].value)
    return False


class CudaExtractor(Extractor):
    facts_field = "cuda_calls"
    EXAMPLES = [
        Example("model = model.cuda()\n", [{"kind": "cuda_method"}]),
        Example("x = x.to('cuda:0')\n", [{"kind": "to_cuda"}]),
        Example("x = t.to(device=torch.device('cuda'))\n", [{"kind": "to_cuda"}]),
        Example("m = load(path, device='cuda')\n", [{"kind": "device_arg", "call": "load"}]),
        Example("torch.cuda.empty_cache()\nn = torch.cuda.device_count()\n",
                [{"kind": "empty_cache", "call": "torch.cuda.empty_cache"}, {"kind": "torch_cuda", "call": "torch.cuda.device_count"}]),
        Example("x = x.to('cpu')\nm = load(path, device='cpu')\n", []),
    ]

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        callee = dotted_name(node.func)
        kind = self._kind(node, callee)
        if kind:
            self.context.facts.cuda_calls.append(
                CudaFact(self.context.line_of(node), kind, callee or self.context.code(node.func), scope.function)
            )

    @staticmethod
    def _kind(node: cst.Call, callee: str) -> str:
        if callee.startswith("torch.cuda."):
            return "empty_cache" if callee == "torch.cuda.empty_cache" else "torch_cuda"
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "cuda":
                return "cuda_method"
            if method == "to" and any(_names_cuda(arg.value) for arg in node.args):
                return "to_cuda"
        if any(arg.keyword is not None and arg.keyword.value == "device" and _names_cuda(arg.value) for arg in node.args):
            return "device_arg"
        return ""
