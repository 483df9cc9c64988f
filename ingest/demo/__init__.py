"""The demo site at `/demo/`: a small B2B product site carrying the tracking snippet."""

from ingest.demo.site import router

__all__ = ["router"]
