"""Clients for querying teacher models."""
