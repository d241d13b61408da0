"""shequ-sdk plugin: finance (under construction in this commit)."""
