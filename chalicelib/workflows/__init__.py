"""Workflows (customer journeys): the model a marketer writes, its graph checks, the Amazon States Language it
compiles to, the Mermaid diagram it draws, and what each block does when a journey runs it."""
