"""Identity: contact keys, identify/alias commands, and anonymous-to-known merges."""
