"""shequ-sdk plugin: sanitation (under construction in this commit)."""
