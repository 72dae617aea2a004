"""The sync report: classification of Entra accounts (classify), writing rows (copy), reading Graph
ahead (prefetch), filters and actions (queries), and CSV export (csv_export)."""
