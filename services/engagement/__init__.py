"""Engagement signals: typed events the bot, staff and gateway log about a client."""
