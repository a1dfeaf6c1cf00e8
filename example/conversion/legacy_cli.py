"""Deprecated command-line entry point kept for old scripts.

Nothing imports this module any more; it is expected to show up at 0%.
"""

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="legacy-convert")
    parser.add_argument("model")
    parser.add_argument("--format", choices=["onnx", "coreml"], default="onnx")
    parser.add_argument("--opset", type=int, default=13)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.format == "coreml":
        print("coreml conversion moved to conversion.convert_coreml", file=sys.stderr)
        return 2
    print(f"exporting {args.model} with opset {args.opset}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
