"""Evaluation harnesses: classification, tool use, reasoning, performance."""
