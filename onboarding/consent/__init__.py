"""Admin consent by emailed link (domain.md §2): links.py issues and checks links (used by the
steps),
answers.py records answers, resends and revokes (used by the pages and the API)."""
