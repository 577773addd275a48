"""Alerts for staff: a crisis, or a woman asking to talk to a person."""
