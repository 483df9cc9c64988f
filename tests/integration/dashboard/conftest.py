"""The dashboard runs inside ingest: reuse ingest's served-app fixture."""

from tests.integration.ingest.conftest import edge_factory

__all__ = ["edge_factory"]
