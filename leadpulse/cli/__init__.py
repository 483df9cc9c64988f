"""The `leadpulse` command: above the services, which it runs and inspects."""
