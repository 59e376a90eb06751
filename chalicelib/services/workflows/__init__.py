"""Workflow use cases: defining and publishing workflows, starting journeys from triggers, and the task function
every journey's state machine calls."""
