"""Orbit: a serverless Customer Data Platform. Domain packages, AWS adapters and the local runtime."""
