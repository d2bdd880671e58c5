"""Metrics logging: a ``Logger`` and pluggable sinks."""

from engine.logging.logger import Logger
from engine.logging.sinks import (
    CallbackSink,
    ConsoleSink,
    CsvSink,
    JsonlSink,
    Sink,
    TensorBoardSink,
)

__all__ = [
    "CallbackSink",
    "ConsoleSink",
    "CsvSink",
    "JsonlSink",
    "Logger",
    "Sink",
    "TensorBoardSink",
]
