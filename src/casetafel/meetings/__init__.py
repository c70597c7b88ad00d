"""Case conferences: meetings, agenda, attendees, decisions, actions; the slot finder."""
