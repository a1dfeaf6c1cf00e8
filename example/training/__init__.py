"""Training utilities: datasets, losses, distillation loop and helpers."""
