"""The escalation ladder in action: rules, deadlines, the sweep, manual moves."""
