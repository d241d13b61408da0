"""shequ-sdk plugin: civility (under construction in this commit)."""
