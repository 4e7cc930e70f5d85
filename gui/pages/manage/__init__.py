"""Manage existing connectors: ManagePage (page.py) and its action groups, one module each."""
