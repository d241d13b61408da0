"""shequ-sdk plugin: culture_sports (under construction in this commit)."""
