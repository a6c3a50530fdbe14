from tests.mandates.conftest import committed_client, pay_client, pay_live, people  # noqa: F401
