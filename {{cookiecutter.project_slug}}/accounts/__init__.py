"""Users: the project's user model, login, logout, signup, and websocket tickets."""
