"""Per-user push: every socket of a logged-in user hears what is sent to that user."""
