pytest_plugins = ["shequ_sdk.testing"]
