"""Student models trained by distillation."""
