"""The router: alerts topic -> routing rules and owners -> signed webhooks and Slack -> DLQ."""

from router.dlq import list_dead_letters, replay_dead_letters
from router.service import run

__all__ = ["list_dead_letters", "replay_dead_letters", "run"]
