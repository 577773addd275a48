"""42 CFR Part 2 consent: the text she is shown, the record of her answer, and revocation."""
