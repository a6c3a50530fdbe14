from tests.sop.conftest import a_schedule  # noqa: F401
from tests.wecom.conftest import live_service  # noqa: F401
