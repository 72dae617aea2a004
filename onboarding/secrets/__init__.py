"""The sync app's client secrets: adding and cleaning them up in Entra (credentials) and rotating
them before they lapse (rotation)."""
