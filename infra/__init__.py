"""CloudFormation for Orbit's stateful resources and the merge template renderer."""
