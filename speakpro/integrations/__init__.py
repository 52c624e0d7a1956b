"""Clients of external services (OpenAI, object storage, OpenID providers), each behind a small interface."""
