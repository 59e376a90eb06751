"""Web tracking: Segment-compatible calls and eSputnik web events mapped onto Orbit's event model."""
