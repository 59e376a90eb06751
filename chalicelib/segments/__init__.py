"""Static lists and dynamic segments: the rule language, evaluation, and what a rule reads."""
