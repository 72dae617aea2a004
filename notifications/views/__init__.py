"""Pages of the notifications app: webhooks (managers) and email preferences (everyone)."""
