"""SMS text code shared by the bot runtime and the services runtime: GSM-7 and segment counting
(Python 3.10-compatible, stdlib only, like safety/)."""
