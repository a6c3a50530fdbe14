"""``scrm backup`` / ``scrm restore``: the database and the model files in one archive.

PostgreSQL is dumped with ``pg_dump --format=custom`` (consistent: one snapshot) and restored with
``pg_restore`` into an empty database; the embedded SQLite file is copied with SQLite's online
backup. A manifest records the row count of every table, and restore checks the restored database
against it before saying it worked.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.engine import make_url

from scrm.tagging import model as tagging_model

MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    pass


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d", u.database]
    env = {"PGPASSWORD": u.password} if u.password else {}
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[:500]}")


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table the database holds (read from the database, so every package's tables count)."""
    engine = create_engine(url)
    try:
        names = sorted(inspect(engine).get_table_names())
        with engine.connect() as conn:
            return {name: conn.scalar(select(func.count()).select_from(table(name))) for name in names}
    finally:
        engine.dispose()


def model_files() -> list[Path]:
    data = tagging_model.shipped_path().parent
    return sorted(p for p in data.iterdir() if p.suffix in (".joblib", ".json"))


def backup(url: str, out: Path) -> dict:
    """Write the archive; returns its manifest."""
    counts = table_counts(url)
    manifest = {"created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "format": 1,
                "dialect": make_url(url).get_backend_name(), "tables": counts,
                "models": [p.name for p in model_files()]}
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "database"
        if manifest["dialect"] == "postgresql":
            args, env = _pg_args(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(dump), *args], env)
        else:
            source = sqlite3.connect(make_url(url).database)
            target = sqlite3.connect(dump)
            with target:
                source.backup(target)
            source.close()
            target.close()
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            payload = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
            tar.add(dump, arcname="database")
            for path in model_files():
                tar.add(path, arcname=f"models/{path.name}")
    return manifest


def restore(archive: Path, url: str, *, models_dir: Path | None = None) -> dict:
    """Restore into an empty database at ``url`` (and the model files into ``models_dir``); returns the manifest."""
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp, filter="data")
        manifest = json.loads((Path(tmp) / MANIFEST).read_text(encoding="utf-8"))
        dialect = make_url(url).get_backend_name()
        if dialect != manifest["dialect"]:
            raise BackupError(f"the archive holds a {manifest['dialect']} database, not {dialect}")
        if dialect == "sqlite":
            Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
        if table_counts(url):
            raise BackupError("the target database is not empty; restore into a new, empty database")
        if dialect == "postgresql":
            args, env = _pg_args(url)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args,
                  str(Path(tmp) / "database")], env)
        else:
            shutil.copyfile(Path(tmp) / "database", make_url(url).database)
        if models_dir is not None:
            models_dir.mkdir(parents=True, exist_ok=True)
            for name in manifest["models"]:
                shutil.copyfile(Path(tmp) / "models" / name, models_dir / name)
    restored = table_counts(url)
    if restored != manifest["tables"]:
        differ = sorted(t for t in manifest["tables"] if restored.get(t) != manifest["tables"][t])
        raise BackupError(f"restored row counts differ from the backup in: {', '.join(differ)}")
    return manifest
