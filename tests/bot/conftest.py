from tests.wecom.conftest import live_service  # noqa: F401
