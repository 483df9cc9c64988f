"""The embedded one-machine stack and the tools that feed it (simulator, journeys)."""
