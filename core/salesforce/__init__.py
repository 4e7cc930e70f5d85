"""Salesforce as the services the app talks to: the connector's JWT login, the admin's sign-in, the org's REST and Metadata APIs, the app as metadata."""
