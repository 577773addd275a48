"""Tandem's services runtime: gateway, API, NLG, dashboard and scheduler (Python 3.11+)."""
