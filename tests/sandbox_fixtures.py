"""Fixtures that start the sandbox WeCom (and later WeChat Pay) on loopback."""
