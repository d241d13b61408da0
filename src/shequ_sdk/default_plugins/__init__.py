"""The SDK's own contributions, registered through the same hooks as any plugin."""
