"""Student architectures."""

from models.student.architectures.gqa_transformer import GQAConfig, GQATransformer

__all__ = ["GQAConfig", "GQATransformer"]
