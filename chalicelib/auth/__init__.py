"""API keys: secret keys for the server API, public site keys for tracking."""
