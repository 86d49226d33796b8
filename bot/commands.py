"""The command menus live with the handlers (handlers/commands.py); the bot installs them."""

from __future__ import annotations

from handlers.commands import install_commands_for, install_default_commands

__all__ = ["install_commands_for", "install_default_commands"]
