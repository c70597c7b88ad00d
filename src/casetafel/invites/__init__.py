"""iCalendar for casetafel: invites and feeds (RFC 5545, iTIP 5546, iMIP 6047), inbound REPLY
parsing and signed RSVP links. Pure code: no database, no HTTP; the meetings domain calls it.
"""
