"""Long-running jobs that outlive their websocket: ids, state, updates, runner."""
