"""casetafel: escalation and case-conference scheduling for difficult returns."""
