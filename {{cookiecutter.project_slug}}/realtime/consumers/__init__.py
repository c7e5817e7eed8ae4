"""Websocket consumers of the sample features: echo, chat rooms and long tasks."""
