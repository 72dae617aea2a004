"""Customers (tenants), their domains and contacts, and their encrypted credentials."""
