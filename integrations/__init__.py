"""Clients for Microsoft identity platform, Microsoft Graph and Proofpoint Essentials (no Django
models)."""
