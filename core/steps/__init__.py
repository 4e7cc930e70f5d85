"""What every use case's run shares and is not a use case itself: its events and cancel (progress), the journal
of intent, what is in the org and its undo (org_state), and the wait for the connector's login."""
