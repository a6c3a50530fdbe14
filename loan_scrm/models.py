"""Imports every module's tables so that ``Base.metadata`` is complete (migrations, tests)."""

import importlib
import pkgutil

from scrm.db import Base

MODEL_PACKAGES = ("scrm", "backoffice")


def load_all() -> None:
    importlib.import_module("scrm.jobs")
    importlib.import_module("scrm.events")
    for root in MODEL_PACKAGES:
        pkg = importlib.import_module(root)
        for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{root}."):
            if info.name.endswith(".models"):
                importlib.import_module(info.name)


load_all()
metadata = Base.metadata
