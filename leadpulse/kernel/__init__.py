"""The shared kernel: what ingest, scorer and router all import (schemas, settings,
config, Kafka and Valkey clients, health, logs). It imports no service."""
