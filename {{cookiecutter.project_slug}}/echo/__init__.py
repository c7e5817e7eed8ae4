"""Echo: a synchronous consumer that sends every frame back, in kind."""
