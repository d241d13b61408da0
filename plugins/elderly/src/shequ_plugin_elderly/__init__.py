"""shequ-sdk plugin: elderly (under construction in this commit)."""
