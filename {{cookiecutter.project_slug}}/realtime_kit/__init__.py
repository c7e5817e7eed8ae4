"""Websocket infrastructure that no library provides: a kit copied in, not edited.

Replace the whole folder to upgrade it; what changed is in CHANGELOG.md, why it
exists in README.md. Nothing here imports the project's apps.
"""

__version__ = "1.1.1"
