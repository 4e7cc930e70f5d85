"""Loopback stand-ins for Salesforce and the Unstructured Platform API.

They are real HTTP servers on 127.0.0.1 that behave like the services: they verify JWT
signatures and claims, validate requests against the published OpenAPI spec, load keys the
way unstructured-ingest does, and can be scripted to fail (status codes, error bodies, slowness).
"""
