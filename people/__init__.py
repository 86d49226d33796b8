"""People: members, consent, roles, organisations, cohorts and invites."""
