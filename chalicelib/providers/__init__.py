"""Adapters to the world outside AWS (HTTP downloads; later: channel providers)."""
