from tests.mandates.factories import pay_client, pay_live, people  # noqa: F401
