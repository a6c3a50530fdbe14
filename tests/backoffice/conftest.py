"""A small finance world: staff of every role in one department."""

from __future__ import annotations

import pytest

from tests.factories.backoffice import World, make_world


@pytest.fixture
def world(db) -> World:
    return make_world(db)
