"""Telling people and programs what happened: emails to technicians, customers and managers, and
signed webhooks."""
