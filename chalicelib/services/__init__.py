"""Use cases: each takes the ports it needs (``chalicelib.ports.Ports``), never an adapter."""
