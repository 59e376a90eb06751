"""The events pipeline: queue messages and the idempotent consumer that applies them."""
