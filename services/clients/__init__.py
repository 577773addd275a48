"""The women Tandem serves ("clients"): who she is to Tandem (her encrypted phone, found or
created by keyed hash, and her pseudonymous id), her status (opt-out and opt-in), and the
profile the bot may set."""
