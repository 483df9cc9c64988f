"""How the commands run beside `leadpulse dev` find its stack with nothing exported.

`leadpulse dev` writes `<LP_DATA_DIR>/dev-state.json` (owner-only) once its stack is up: the
broker bootstrap, the Valkey URL, ingest's address and the keys it runs with. It removes the
file on a clean stop; a file left by a stack that was killed is ignored, since the process
named in it is gone. Settings a person did set always win over the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from leadpulse.kernel.settings import Settings

__all__ = [
    "missing_addresses",
    "remove_dev_state",
    "running_dev",
    "with_dev_state",
    "write_dev_state",
]

_KEYS = ("write_key", "secret_key", "token_secret", "session_secret", "webhook_secret")
_PLAIN = ("kafka_bootstrap", "redis_url", "http_host", "http_port", "public_url")
_ENV_NAMES = {"kafka_bootstrap": "LP_KAFKA_BOOTSTRAP", "redis_url": "LP_REDIS_URL"}


def _state_file(settings: Settings) -> Path:
    return settings.data_dir / "dev-state.json"


def write_dev_state(settings: Settings) -> Path:
    """Record the running stack for the other commands; atomic, readable by its owner."""
    state: dict[str, Any] = {"pid": os.getpid()}
    state.update({name: getattr(settings, name) for name in _PLAIN})
    for name in _KEYS:
        secret: SecretStr | None = getattr(settings, name)
        if secret is not None:
            state[name] = secret.get_secret_value()
    path = _state_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    partial.replace(path)
    return path


def remove_dev_state(settings: Settings) -> None:
    """Forget the stack on a clean stop (only the file this process wrote)."""
    state = _read(_state_file(settings))
    if state is not None and state.get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            _state_file(settings).unlink()


def _read(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # After a reboot the pid of a killed stack may belong to anything: ask Linux what runs.
    try:
        return b"leadpulse" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def _running_state(settings: Settings) -> dict[str, Any] | None:
    state = _read(_state_file(settings))
    return state if state is not None and _alive(state.get("pid")) else None


def running_dev(settings: Settings) -> int | None:
    """The pid of the `leadpulse dev` running with this data dir, if one is."""
    state = _running_state(settings)
    return None if state is None else int(state["pid"])


def with_dev_state(settings: Settings) -> Settings:
    """Fill what was not set from the running `leadpulse dev` of this data dir, if any."""
    state = _running_state(settings)
    if state is None:
        return settings
    given = settings.model_fields_set
    updates: dict[str, Any] = {
        name: state[name] for name in _PLAIN if name not in given and state.get(name) is not None
    }
    updates.update(
        {
            name: SecretStr(state[name])
            for name in _KEYS
            if getattr(settings, name) is None and isinstance(state.get(name), str)
        }
    )
    return settings.model_copy(update=updates)


def missing_addresses(settings: Settings, names: tuple[str, ...]) -> str | None:
    """One line saying what to set when a command cannot find its broker or Valkey."""
    unset = [_ENV_NAMES[name] for name in names if getattr(settings, name) is None]
    if not unset:
        return None
    verb = "is" if len(unset) == 1 else "are"
    return (
        f"{' and '.join(unset)} {verb} not set, and no `leadpulse dev` is running with data dir "
        f"{settings.data_dir.resolve()}: start `make run` here (or set LP_DATA_DIR to its "
        f"data dir), or set {' and '.join(unset)}"
    )
