"""Sample realtime features: websocket consumers, their routes and demo pages."""
