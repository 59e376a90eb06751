"""The embedded local runtime: moto server, provisioning from infra/, queue pollers, scheduler."""
