"""Tandem's custom actions for the Rasa action server (rasa-sdk, .venv-bot).

One module per feature; the logic lives in the services API, which actions reach through
actions.api.client.
"""
