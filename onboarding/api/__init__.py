"""The REST API (docs/api.md): DRF views over the same workflow functions the pages use."""
