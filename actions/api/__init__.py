"""HTTP client for Tandem's services API (/api/*)."""

from actions.api.client import ApiError, TandemApi

__all__ = ["ApiError", "TandemApi"]
