"""Lists and dynamic segments as use cases: definitions, members, real-time membership, full computations,
the time sweep, previews and explanations."""
