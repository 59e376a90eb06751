"""Behaviour triggers: ready-made recipes that produce ordinary workflows, segments and templates."""
