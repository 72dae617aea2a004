"""Onboarding jobs, their steps, consent links, the sync report and the audit trail."""
