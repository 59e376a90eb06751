"""AWS adapters (DynamoDB, SQS) implementing the ports the domain talks to."""
