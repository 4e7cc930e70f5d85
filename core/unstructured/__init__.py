"""The Unstructured Platform: its API client, the connector inventory, and the create request as code to copy."""
