"""Her data over its life: retention, being forgotten, key rotation."""
