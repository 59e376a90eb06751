"""Recommendations: the scheduled rebuild of the precomputed lists (``build``) and serving them to the API,
orbit.js and templates (``serve``). The models themselves are pure (``chalicelib/recommendations``)."""
