"""The women Tandem serves ("clients"): lookup and the profile the bot may set."""
