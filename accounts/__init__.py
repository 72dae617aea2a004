"""Staff accounts: signing in (local password with a second factor, or Microsoft Entra ID), lockout,
the profile page and personal API tokens."""
