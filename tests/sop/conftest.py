import pytest

from scrm.sop.models import SopSchedule
from tests.factories.sop import ensure_a_schedule


@pytest.fixture
def a_schedule(db) -> SopSchedule:
    return ensure_a_schedule(db)
