"""Orders: upserts by externalOrderId, status transitions, and their effect on contact aggregates."""
