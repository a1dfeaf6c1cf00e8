"""Graph surgery passes for exported models.

Every pass takes a graph dict and returns a *new* graph dict; the input is
never mutated.
"""

from __future__ import annotations

import copy
from collections import Counter, deque

from conversion.export_onnx import apply_op


class SurgeryError(RuntimeError):
    """Raised when a graph cannot be rewritten safely."""


def _producers(graph: dict) -> dict[str, dict]:
    return {out: node for node in graph["nodes"] for out in node["outputs"]}


def rename_tensor(graph: dict, old: str, new: str) -> dict:
    """Rename a tensor everywhere it is referenced."""
    graph = copy.deepcopy(graph)
    for node in graph["nodes"]:
        node["inputs"] = [new if name == old else name for name in node["inputs"]]
        node["outputs"] = [new if name == old else name for name in node["outputs"]]
    for spec in graph["inputs"] + graph["outputs"]:
        if spec["name"] == old:
            spec["name"] = new
    if old in graph["initializers"]:
        graph["initializers"][new] = graph["initializers"].pop(old)
    return graph


def remove_identity_nodes(graph: dict) -> dict:
    """Drop ``Identity`` nodes, wiring consumers to the identity's input."""
    graph = copy.deepcopy(graph)
    output_names = {spec["name"] for spec in graph["outputs"]}
    kept = []
    for node in graph["nodes"]:
        if node["op"] != "Identity":
            kept.append(node)
            continue
        src, dst = node["inputs"][0], node["outputs"][0]
        if dst in output_names:
            if any(spec["name"] == src for spec in graph["inputs"]):
                raise SurgeryError(f"identity maps graph input {src!r} straight to output")
            # Keep the public output name: rename the producer instead.
            for other in graph["nodes"]:
                other["outputs"] = [dst if o == src else o for o in other["outputs"]]
                other["inputs"] = [dst if i == src else i for i in other["inputs"]]
        else:
            for other in graph["nodes"]:
                other["inputs"] = [src if i == dst else i for i in other["inputs"]]
    graph["nodes"] = kept
    return graph


def eliminate_dead_nodes(graph: dict) -> dict:
    """Remove nodes whose outputs never reach a graph output."""
    graph = copy.deepcopy(graph)
    producers = _producers(graph)
    live: set[str] = set()
    queue = deque(spec["name"] for spec in graph["outputs"])
    while queue:
        name = queue.popleft()
        node = producers.get(name)
        if node is None or node["name"] in live:
            continue
        live.add(node["name"])
        queue.extend(node["inputs"])
    graph["nodes"] = [node for node in graph["nodes"] if node["name"] in live]
    used = {name for node in graph["nodes"] for name in node["inputs"]}
    graph["initializers"] = {k: v for k, v in graph["initializers"].items() if k in used}
    return graph


def topological_sort(graph: dict) -> dict:
    """Order nodes so every tensor is produced before it is consumed."""
    graph = copy.deepcopy(graph)
    producers = _producers(graph)
    indegree = {node["name"]: 0 for node in graph["nodes"]}
    consumers: dict[str, list[dict]] = {node["name"]: [] for node in graph["nodes"]}
    for node in graph["nodes"]:
        for name in node["inputs"]:
            if name in producers:
                indegree[node["name"]] += 1
                consumers[producers[name]["name"]].append(node)
    ready = deque(node for node in graph["nodes"] if indegree[node["name"]] == 0)
    ordered = []
    while ready:
        node = ready.popleft()
        ordered.append(node)
        for consumer in consumers[node["name"]]:
            indegree[consumer["name"]] -= 1
            if indegree[consumer["name"]] == 0:
                ready.append(consumer)
    if len(ordered) != len(graph["nodes"]):
        raise SurgeryError("graph contains a cycle")
    graph["nodes"] = ordered
    return graph


def fold_constants(graph: dict) -> dict:
    """Pre-compute nodes whose inputs are all initializers."""
    graph = copy.deepcopy(graph)
    inits = graph["initializers"]
    kept = []
    for node in graph["nodes"]:
        if all(name in inits for name in node["inputs"]):
            value = apply_op(node["op"], [inits[n]["data"] for n in node["inputs"]], node.get("attrs"))
            inits[node["outputs"][0]] = {"shape": [len(value)], "data": value}
        else:
            kept.append(node)
    graph["nodes"] = kept
    return graph


def fuse_matmul_add(graph: dict) -> dict:
    """Fuse ``MatMul`` followed by ``Add(bias initializer)`` into ``Gemm``."""
    graph = copy.deepcopy(graph)
    uses = Counter(name for node in graph["nodes"] for name in node["inputs"])
    producers = _producers(graph)
    fused_away: set[str] = set()
    for node in graph["nodes"]:
        if node["op"] != "Add":
            continue
        lhs, rhs = node["inputs"]
        matmul = producers.get(lhs)
        if matmul is None or matmul["op"] != "MatMul" or rhs not in graph["initializers"]:
            continue
        if uses[lhs] != 1:
            continue
        node["op"] = "Gemm"
        node["inputs"] = matmul["inputs"] + [rhs]
        fused_away.add(matmul["name"])
    graph["nodes"] = [node for node in graph["nodes"] if node["name"] not in fused_away]
    return graph


def optimize(graph: dict) -> dict:
    """Run the standard pass pipeline."""
    for graph_pass in (remove_identity_nodes, fold_constants, fuse_matmul_add, eliminate_dead_nodes):
        graph = graph_pass(graph)
    return topological_sort(graph)


def op_histogram(graph: dict) -> dict[str, int]:
    return dict(sorted(Counter(node["op"] for node in graph["nodes"]).items()))
