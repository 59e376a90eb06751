"""Contacts: the card (profile, additional fields, channels) and its computed aggregates."""
