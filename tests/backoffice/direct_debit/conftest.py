from tests.mandates.factories import committed_client, pay_client, pay_live, people  # noqa: F401
