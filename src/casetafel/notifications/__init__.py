"""In-app notifications per user: alerts, warnings and reminders."""
