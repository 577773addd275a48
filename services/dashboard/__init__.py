"""The staff dashboard: accounts, sessions, roles in one place (access.py), the audit log and
the server-rendered pages (templates/, no build step and no external assets)."""
