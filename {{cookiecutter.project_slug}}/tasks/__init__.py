"""Long jobs: Django tasks run by a worker, watched and cancelled over a websocket."""
