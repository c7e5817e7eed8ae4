"""Long tasks: jobs that outlive their socket, watched from any socket, cancellable."""
