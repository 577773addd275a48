"""SMS gateway: Twilio webhooks in, Rasa in the middle, TwiML out."""
