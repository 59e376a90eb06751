"""The operator CLI (``python -m chalicelib.cli``): API keys, contact imports, stage settings.

Operator tooling only: nothing deployed to Lambda imports this package.
"""
