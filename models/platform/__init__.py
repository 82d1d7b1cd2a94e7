"""The platform core: a platform model's decisions, written once (see ``core``)."""

from models.platform.core import Cold, Keep, PlatformCore, Slot, Unload

__all__ = ["Cold", "Keep", "PlatformCore", "Slot", "Unload"]
