"""Events: the HTTP input model, the queue messages, and the ingestion service at the edge."""
