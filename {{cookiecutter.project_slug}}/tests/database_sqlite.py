"""The tests' database: SQLite, which Django's test runner creates and deletes."""


def use_test_database():
    """Nothing to start: the test database is a file of its own, or in memory."""
