"""The hall configuration: one TOML file, validated at start."""
from .loader import DEMO_TOKENS, ConfigError, demo_config_path, load_config, parse_config
from .model import (
    Announcer,
    Clerk,
    Department,
    Device,
    Gpio,
    GpioButton,
    HallConfig,
    Hours,
    Service,
    Span,
    Text,
    Window,
)

__all__ = [
    "DEMO_TOKENS", "ConfigError", "demo_config_path", "load_config", "parse_config", "Announcer",
    "Clerk", "Department", "Device", "Gpio", "GpioButton", "HallConfig", "Hours", "Service", "Span", "Text",
    "Window",
]
