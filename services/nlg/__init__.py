"""Response texts: the defaults in domain.yml (staff overrides come with the dashboard)."""
