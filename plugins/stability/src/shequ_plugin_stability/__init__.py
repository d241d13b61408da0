"""shequ-sdk plugin: stability (under construction in this commit)."""
