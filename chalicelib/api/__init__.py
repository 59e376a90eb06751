"""HTTP API: one blueprint per resource, plus the shared request/response plumbing."""
