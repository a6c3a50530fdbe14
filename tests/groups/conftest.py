from tests.customers.factories import client, products  # noqa: F401
