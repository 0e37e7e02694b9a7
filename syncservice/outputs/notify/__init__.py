"""Messages to people: a verdict or a deadline → a message queued in the store for the unit's
or finance's Apprise targets (notices); the words, in Danish or English (text). The sender
thread that delivers them is part of the service (service/sender.py)."""
