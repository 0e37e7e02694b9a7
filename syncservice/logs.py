"""Logging through loguru: a human log with rotation and retention in the logs folder,
and warnings and errors on the console."""

from __future__ import annotations

import sys

from loguru import logger

from syncservice.config import Config

VALIDATION = "validation"


def _validation(record: dict) -> bool:
    return VALIDATION in record["extra"]


def _not_validation(record: dict) -> bool:
    return VALIDATION not in record["extra"]


def setup(config: Config, *, console_level: str = "WARNING") -> None:
    """Replace loguru's default handler with ours (idempotent)."""
    logger.remove()
    human = _not_validation
    logger.add(sys.stderr, level=console_level, format="{time:HH:mm:ss} {level: <7} {message}", colorize=None,
               filter=human, diagnose=False)
    logs = config.path("logs")
    rotation, retention = config.get("logging", "rotation"), config.get("logging", "retention")
    try:
        logs.mkdir(parents=True, exist_ok=True)
        # diagnose=False: a traceback must not copy cell values from a workbook into the log
        logger.add(logs / "syncservice.log", level="INFO", encoding="utf-8", rotation=rotation,
                   retention=retention, format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {message}",
                   filter=human, diagnose=False)
        # one JSON object per verdict, for whoever reviews rejections with their own tools
        logger.add(logs / "validation.jsonl", level="INFO", encoding="utf-8", rotation=rotation,
                   retention=retention, format="{message}", filter=_validation)
    except OSError as exc:  # an unwritable log folder must not stop the service
        logger.warning("cannot write logs to {}: {}", logs, exc)
