"""Model export and conversion tools (ONNX-like, PyTorch-like and CoreML-like formats)."""

__all__ = [
    "convert_coreml",
    "export_onnx",
    "export_pytorch",
    "judge_export",
    "make_toy_block",
    "onnx_surgery",
    "shape_validator",
    "validators",
]
