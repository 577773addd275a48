"""Check-ins: follow-ups to what she told Tandem and the regular check-in at the cadence she
chose, kept as durable jobs in the database and sent once each by the dispatcher."""
