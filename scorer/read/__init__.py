"""Reading scoring state for ingest's read API and dashboard: `store` (JSON) and `facade`
(typed read models), the leads list pages, the funnel report, accounts. Never writes.

May import `scorer.predict`, `scorer.storage` and `scorer.core`; never `scorer.handlers` or
`scorer.runtime`. Ingest imports `store` and `facade` only (pyproject's contracts).
"""
