"""shequ-sdk plugin: party (under construction in this commit)."""
