"""The scorer process: service lifecycle, consumer loop, one batch's round trips, outbox
publishing, SLA tick, dead letters, log checks and the rescore command.

A change to *when* or *how often* something runs, or to what happens when a dependency
fails, goes here. May import every other scorer sub-package; none imports it.
"""
