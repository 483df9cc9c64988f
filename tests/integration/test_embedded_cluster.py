"""The 3-node Valkey cluster the tests and benches start: a node whose bus port was taken
between choosing its port and starting (another process's connection) starts elsewhere."""

from __future__ import annotations

import socket
from pathlib import Path

import redis

from leadpulse.dev.embedded import EmbeddedValkeyCluster


def test_a_node_whose_bus_port_is_taken_starts_on_other_ports(tmp_path: Path) -> None:
    cluster = EmbeddedValkeyCluster(tmp_path)
    chosen = cluster.nodes[0].port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", chosen + 10000))
        squatter.listen()
        cluster.start()
    try:
        assert cluster.nodes[0].port != chosen
        client = redis.RedisCluster(host="127.0.0.1", port=cluster.nodes[0].port)
        client.set("k", "v")
        assert client.get("k") == b"v"
        client.close()
    finally:
        cluster.stop()
