"""Toy models used to exercise the evaluation harnesses."""
