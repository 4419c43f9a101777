"""The hall configuration: validated values, read from TOML (a file, or a version in the database)."""
from .loader import DEMO_TOKENS, ConfigError, demo_config_path, load_config, parse_config
from .model import (
    Announcer,
    Department,
    Device,
    Gpio,
    GpioButton,
    HallConfig,
    Hours,
    QueueRules,
    Service,
    Span,
    Staff,
    Text,
    Window,
)

__all__ = [
    "DEMO_TOKENS", "ConfigError", "demo_config_path", "load_config", "parse_config", "Announcer",
    "Department", "Device", "Gpio", "GpioButton", "HallConfig", "Hours", "QueueRules", "Service",
    "Span", "Staff", "Text", "Window",
]
