"""shequ-sdk plugin: family_planning (under construction in this commit)."""
