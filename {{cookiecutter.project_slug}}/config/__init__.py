"""Project configuration: settings, the ASGI application and URL routing."""
