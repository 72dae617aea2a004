"""Local emulators of the Microsoft identity platform, Microsoft Graph and Proofpoint Essentials.

Imported by nothing but tests, the demo and its own management command.
"""
