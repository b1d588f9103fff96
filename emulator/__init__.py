"""A local fake of the Google Cloud REST APIs, strict about request shape."""

from emulator.app import Emulator
from emulator.config import EmulatorConfig
from emulator.faults import FaultRule
from emulator.records import RequestRecord

__all__ = ["Emulator", "EmulatorConfig", "FaultRule", "RequestRecord"]
