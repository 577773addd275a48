"""Safety code shared by the bot runtime and the services runtime (see safety.crisis)."""
