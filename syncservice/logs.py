"""Logging through loguru: a human log with rotation and retention in the logs folder,
and warnings and errors on the console."""

from __future__ import annotations

import sys

from loguru import logger

from syncservice.config import Config


def setup(config: Config, *, console_level: str = "WARNING") -> None:
    """Replace loguru's default handler with ours (idempotent)."""
    logger.remove()
    logger.add(sys.stderr, level=console_level, format="{time:HH:mm:ss} {level: <7} {message}", colorize=None)
    logs = config.path("logs")
    try:
        logs.mkdir(parents=True, exist_ok=True)
        logger.add(logs / "syncservice.log", level="INFO", encoding="utf-8",
                   rotation=config.get("logging", "rotation"), retention=config.get("logging", "retention"),
                   format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {message}")
    except OSError as exc:  # an unwritable log folder must not stop the service
        logger.warning("cannot write logs to {}: {}", logs, exc)
