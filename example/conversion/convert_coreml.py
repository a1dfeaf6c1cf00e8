"""Convert exported node graphs into a CoreML-like neural-network spec.

The output mirrors the structure of a CoreML ``NeuralNetwork`` protobuf as a
dict: a ``description`` (inputs/outputs/metadata) and a flat list of
``layers``.  A small interpreter (:func:`execute_spec`) runs the spec so the
conversion can be checked numerically against the source model.
"""

from __future__ import annotations

import copy
import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conversion.export_onnx import gelu, layer_norm, softmax
from conversion.shape_validator import infer_shapes

if TYPE_CHECKING:
    from conversion.make_toy_block import ToyBlock

DEPLOYMENT_TARGETS = ("iOS15", "iOS16", "iOS17")
COMPUTE_UNITS = ("ALL", "CPU_ONLY", "CPU_AND_GPU", "CPU_AND_NE")
PRECISIONS = ("float32", "float16")
SPEC_VERSIONS = {"iOS15": 6, "iOS16": 7, "iOS17": 8}
FP16_MAX = 65504.0

# Activations understood by the CoreML-like runtime, keyed by source op.
ACTIVATIONS = {"Relu": "ReLU", "Gelu": "GELU"}


class ConversionError(RuntimeError):
    """Raised when a graph cannot be converted."""


@dataclass
class ConversionConfig:
    """Options for :class:`CoreMLConverter`."""

    minimum_deployment_target: str = "iOS16"
    compute_units: str = "ALL"
    precision: str = "float32"
    fuse_bias: bool = True
    strict: bool = True
    author: str = "covsplit-example"
    extra_metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.minimum_deployment_target not in DEPLOYMENT_TARGETS:
            raise ConversionError(f"unknown deployment target {self.minimum_deployment_target!r}")
        if self.compute_units not in COMPUTE_UNITS:
            raise ConversionError(f"unknown compute units {self.compute_units!r}")
        if self.precision not in PRECISIONS:
            raise ConversionError(f"unknown precision {self.precision!r}")
        if self.precision == "float16" and self.compute_units == "CPU_ONLY":
            raise ConversionError("float16 weights require a GPU or Neural Engine")

    @property
    def spec_version(self) -> int:
        return SPEC_VERSIONS[self.minimum_deployment_target]


def round_fp16(value: float) -> float:
    """Round a float to the nearest IEEE half, saturating at +-65504."""
    if math.isnan(value):
        return value
    clipped = max(-FP16_MAX, min(FP16_MAX, value))
    return struct.unpack("<e", struct.pack("<e", clipped))[0]


def cast_weights(data: Any, precision: str) -> Any:
    """Recursively cast nested lists of weights to ``precision``."""
    if precision == "float32":
        return copy.deepcopy(data)
    if isinstance(data, list):
        return [cast_weights(item, precision) for item in data]
    return round_fp16(float(data))


Handler = Callable[["CoreMLConverter", dict], "list[dict]"]
_HANDLERS: dict[str, Handler] = {}


def register_handler(*ops: str) -> Callable[[Handler], Handler]:
    """Decorator registering a conversion function for one or more source ops."""

    def decorator(fn: Handler) -> Handler:
        for op in ops:
            if op in _HANDLERS:
                raise ConversionError(f"duplicate handler for {op}")
            _HANDLERS[op] = fn
        return fn

    return decorator


def supported_ops() -> list[str]:
    return sorted(_HANDLERS)


class CoreMLConverter:
    """Stateful converter; one instance per conversion."""

    def __init__(self, config: ConversionConfig | None = None) -> None:
        self.config = config or ConversionConfig()
        self.warnings: list[str] = []
        self.aliases: dict[str, str] = {}
        self.graph: dict = {}
        self._consumed_bias: set[str] = set()

    # -- helpers -------------------------------------------------------
    def resolve(self, name: str) -> str:
        seen = set()
        while name in self.aliases:
            if name in seen:
                raise ConversionError(f"alias cycle at {name!r}")
            seen.add(name)
            name = self.aliases[name]
        return name

    def initializer(self, name: str) -> dict | None:
        return self.graph["initializers"].get(name)

    def weights(self, name: str) -> Any:
        init = self.initializer(name)
        if init is None:
            raise ConversionError(f"{name!r} must be a constant initializer")
        return cast_weights(init["data"], self.config.precision)

    def _consumers(self, tensor: str) -> list[dict]:
        return [node for node in self.graph["nodes"] if tensor in node["inputs"]]

    def _bias_after(self, node: dict) -> str | None:
        """If ``node``'s output feeds exactly one ``Add`` with a constant, return it."""
        if not self.config.fuse_bias:
            return None
        consumers = self._consumers(node["outputs"][0])
        if len(consumers) != 1 or consumers[0]["op"] != "Add":
            return None
        other = [n for n in consumers[0]["inputs"] if n != node["outputs"][0]]
        if len(other) == 1 and self.initializer(other[0]) is not None:
            return consumers[0]["name"]
        return None

    # -- driver --------------------------------------------------------
    def convert(self, graph: dict) -> dict:
        report = infer_shapes(graph)
        if not report.ok:
            raise ConversionError("shape check failed: " + "; ".join(report.errors))
        self.graph = graph
        layers: list[dict] = []
        for node in graph["nodes"]:
            if node["name"] in self._consumed_bias:
                continue
            handler = _HANDLERS.get(node["op"])
            if handler is None:
                if self.config.strict:
                    raise ConversionError(f"no converter for op {node['op']!r} ({node['name']})")
                self.warnings.append(f"{node['name']}: {node['op']} emitted as custom layer")
                layers.append(self._layer(node, "custom", className=node["op"]))
                continue
            layers.extend(handler(self, node))
        return {
            "specificationVersion": self.config.spec_version,
            "description": self._description(graph, report.shapes),
            "computeUnits": self.config.compute_units,
            "neuralNetwork": {"layers": layers, "precision": self.config.precision},
        }

    def _layer(self, node: dict, kind: str, inputs: list[str] | None = None, **params: Any) -> dict:
        return {
            "name": node["name"],
            "type": kind,
            "input": [self.resolve(n) for n in (inputs if inputs is not None else node["inputs"])],
            "output": list(node["outputs"]),
            "params": params,
        }

    def _description(self, graph: dict, shapes: dict) -> dict:
        metadata = {
            "author": self.config.author,
            "source": graph.get("name", "unnamed"),
            "precision": self.config.precision,
        }
        metadata.update(self.config.extra_metadata)
        outputs = []
        for spec in graph["outputs"]:
            name = self.resolve(spec["name"])
            outputs.append({"name": spec["name"], "source": name, "shape": list(shapes[spec["name"]])})
        return {
            "inputs": [{"name": s["name"], "shape": list(s["shape"])} for s in graph["inputs"]],
            "outputs": outputs,
            "metadata": metadata,
        }


@register_handler("MatMul", "Gemm")
def _convert_inner_product(conv: CoreMLConverter, node: dict) -> list[dict]:
    weight = conv.weights(node["inputs"][1])
    bias = None
    outputs = node["outputs"]
    if node["op"] == "Gemm" and len(node["inputs"]) > 2:
        bias = conv.weights(node["inputs"][2])
    else:
        fused = conv._bias_after(node)
        if fused is not None:
            add_node = next(n for n in conv.graph["nodes"] if n["name"] == fused)
            bias_name = next(n for n in add_node["inputs"] if n != node["outputs"][0])
            bias = conv.weights(bias_name)
            conv._consumed_bias.add(fused)
            outputs = add_node["outputs"]
    layer = conv._layer(
        node,
        "innerProduct",
        inputs=[node["inputs"][0]],
        inputChannels=len(weight),
        outputChannels=len(weight[0]),
        weights=weight,
        hasBias=bias is not None,
        bias=bias,
    )
    layer["output"] = list(outputs)
    return [layer]


@register_handler("Add", "Mul")
def _convert_elementwise(conv: CoreMLConverter, node: dict) -> list[dict]:
    constants = [name for name in node["inputs"] if conv.initializer(name) is not None]
    if len(constants) == 2:
        raise ConversionError(f"{node['name']}: both operands constant; fold constants first")
    if constants:
        dynamic = [name for name in node["inputs"] if name not in constants]
        kind = "bias" if node["op"] == "Add" else "scale"
        return [conv._layer(node, kind, inputs=dynamic, values=conv.weights(constants[0]))]
    kind = "add" if node["op"] == "Add" else "multiply"
    return [conv._layer(node, kind)]


@register_handler("Relu", "Gelu")
def _convert_activation(conv: CoreMLConverter, node: dict) -> list[dict]:
    mode = ACTIVATIONS[node["op"]]
    params: dict[str, Any] = {"mode": mode}
    if mode == "GELU":
        # iOS15 runtimes only ship the exact (erf) GELU kernel.
        exact = conv.config.minimum_deployment_target == "iOS15"
        params["approximation"] = "EXACT" if exact else "TANH_APPROXIMATION"
    return [conv._layer(node, "activation", **params)]


@register_handler("Softmax")
def _convert_softmax(conv: CoreMLConverter, node: dict) -> list[dict]:
    axis = node.get("attrs", {}).get("axis", -1)
    if axis != -1:
        raise ConversionError(f"{node['name']}: softmax only supported on the last axis")
    return [conv._layer(node, "softmax")]


@register_handler("LayerNorm")
def _convert_layer_norm(conv: CoreMLConverter, node: dict) -> list[dict]:
    eps = node.get("attrs", {}).get("epsilon", 1e-5)
    if conv.config.precision == "float16" and eps < 1e-5:
        conv.warnings.append(f"{node['name']}: epsilon {eps} underflows in float16; using 1e-5")
        eps = 1e-5
    return [conv._layer(node, "layerNormalization", inputs=node["inputs"][:1], eps=eps)]


@register_handler("Identity")
def _convert_identity(conv: CoreMLConverter, node: dict) -> list[dict]:
    conv.aliases[node["outputs"][0]] = node["inputs"][0]
    return []


def convert_graph(graph: dict, config: ConversionConfig | None = None) -> tuple[dict, list[str]]:
    """Convert ``graph`` and return ``(spec, warnings)``."""
    converter = CoreMLConverter(config)
    spec = converter.convert(graph)
    return spec, converter.warnings


def convert_block(block: ToyBlock, config: ConversionConfig | None = None) -> dict:
    spec, _ = convert_graph(block.to_graph(), config)
    return spec


def _run_layer(layer: dict, args: list[list[float]]) -> list[float]:
    kind, params = layer["type"], layer["params"]
    if kind == "innerProduct":
        x, w = args[0], params["weights"]
        out = [sum(x[i] * w[i][j] for i in range(len(x))) for j in range(params["outputChannels"])]
        if params["hasBias"]:
            out = [o + b for o, b in zip(out, params["bias"], strict=True)]
        return out
    if kind == "bias":
        return [a + b for a, b in zip(args[0], params["values"], strict=True)]
    if kind == "scale":
        return [a * b for a, b in zip(args[0], params["values"], strict=True)]
    if kind == "add":
        return [a + b for a, b in zip(args[0], args[1], strict=True)]
    if kind == "multiply":
        return [a * b for a, b in zip(args[0], args[1], strict=True)]
    if kind == "activation":
        if params["mode"] == "ReLU":
            return [max(0.0, v) for v in args[0]]
        if params["approximation"] == "EXACT":
            return [0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in args[0]]
        return [gelu(v) for v in args[0]]
    if kind == "softmax":
        return softmax(args[0])
    if kind == "layerNormalization":
        return layer_norm(args[0], params["eps"])
    raise ConversionError(f"runtime cannot execute layer type {kind!r}")


def execute_spec(spec: dict, feeds: dict[str, list[float]]) -> dict[str, list[float]]:
    """Interpret a converted spec on concrete inputs."""
    env: dict[str, list[float]] = {}
    for spec_input in spec["description"]["inputs"]:
        if spec_input["name"] not in feeds:
            raise ConversionError(f"missing feed {spec_input['name']!r}")
        value = feeds[spec_input["name"]]
        if len(value) != spec_input["shape"][-1]:
            raise ConversionError(
                f"feed {spec_input['name']!r} has length {len(value)}, expected {spec_input['shape'][-1]}"
            )
        env[spec_input["name"]] = list(value)
    for layer in spec["neuralNetwork"]["layers"]:
        result = _run_layer(layer, [env[name] for name in layer["input"]])
        for name in layer["output"]:
            env[name] = result
    return {out["name"]: env[out["source"]] for out in spec["description"]["outputs"]}


def validate_spec(spec: dict) -> list[str]:
    """Structural checks: dangling inputs, duplicate outputs, unknown layer types."""
    problems = []
    known = {
        "innerProduct",
        "bias",
        "scale",
        "add",
        "multiply",
        "activation",
        "softmax",
        "layerNormalization",
        "custom",
    }
    available = {i["name"] for i in spec["description"]["inputs"]}
    for layer in spec["neuralNetwork"]["layers"]:
        if layer["type"] not in known:
            problems.append(f"{layer['name']}: unknown layer type {layer['type']}")
        for name in layer["input"]:
            if name not in available:
                problems.append(f"{layer['name']}: input {name!r} is not produced before use")
        for name in layer["output"]:
            if name in available:
                problems.append(f"{layer['name']}: output {name!r} produced twice")
            available.add(name)
    for out in spec["description"]["outputs"]:
        if out["source"] not in available:
            problems.append(f"output {out['name']!r} is never produced")
    return problems


def spec_summary(spec: dict) -> dict[str, Any]:
    layers = spec["neuralNetwork"]["layers"]
    counts: dict[str, int] = {}
    n_weights = 0
    for layer in layers:
        counts[layer["type"]] = counts.get(layer["type"], 0) + 1
        if layer["type"] == "innerProduct":
            params = layer["params"]
            n_weights += params["inputChannels"] * params["outputChannels"]
            if params["hasBias"]:
                n_weights += params["outputChannels"]
    bytes_per = 2 if spec["neuralNetwork"]["precision"] == "float16" else 4
    return {
        "layers": len(layers),
        "layer_types": dict(sorted(counts.items())),
        "weights": n_weights,
        "weight_bytes": n_weights * bytes_per,
        "spec_version": spec["specificationVersion"],
    }


def save_spec(spec: dict, path: str | Path) -> Path:
    path = Path(path)
    if not path.name.endswith(".mlmodel.json"):
        path = path.with_name(path.name + ".mlmodel.json")
    path.write_text(json.dumps(spec, indent=1, sort_keys=True))
    return path


def load_spec(path: str | Path) -> dict:
    spec = json.loads(Path(path).read_text())
    problems = validate_spec(spec)
    if problems:
        raise ConversionError("invalid spec: " + "; ".join(problems))
    return spec


# Layer types each compute unit can run natively; others fall back to CPU.
NATIVE_LAYERS = {
    "CPU_AND_NE": {"innerProduct", "bias", "scale", "add", "multiply", "activation", "softmax"},
    "CPU_AND_GPU": {"innerProduct", "bias", "scale", "add", "multiply", "activation", "softmax", "layerNormalization"},
}


def compute_unit_report(spec: dict) -> dict[str, Any]:
    """Which layers would fall back to the CPU on the spec's compute units."""
    units = spec["computeUnits"]
    layers = spec["neuralNetwork"]["layers"]
    if units in ("ALL", "CPU_ONLY"):
        return {"units": units, "fallback": [], "native_fraction": 1.0}
    native = NATIVE_LAYERS[units]
    fallback = [layer["name"] for layer in layers if layer["type"] not in native]
    fraction = 1.0 - len(fallback) / len(layers) if layers else 1.0
    return {"units": units, "fallback": fallback, "native_fraction": fraction}


def fp16_overflow_layers(spec: dict) -> list[str]:
    """Names of innerProduct layers whose float32 weights exceed the fp16 range."""
    risky = []
    for layer in spec["neuralNetwork"]["layers"]:
        if layer["type"] != "innerProduct":
            continue
        peak = max(abs(w) for row in layer["params"]["weights"] for w in row)
        if peak > FP16_MAX:
            risky.append(layer["name"])
    return risky
