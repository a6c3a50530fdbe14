from tests.customers.factories import client  # noqa: F401  (fixture)
