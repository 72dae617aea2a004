"""Pages for technicians: tenants with their onboarding state, job progress, retry and cancel."""
