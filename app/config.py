"""Settings from the environment, with the embedded default: SQLite + local folders."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_dir: Path) -> str:
    # A per-installation key kept outside git, so the project holds no secret.
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    instance_dir = Path(os.environ.get("INVALIDITE_INSTANCE", ROOT / "instance"))
    config = {
        "INSTANCE_DIR": instance_dir,
        "DATABASE_URL": os.environ.get("DATABASE_URL",
                                       f"sqlite:///{instance_dir / 'invalidite.db'}"),
        "UPLOAD_DIR": Path(os.environ.get("UPLOAD_DIR", instance_dir / "uploads")),
        "PROCESSES_DIR": ROOT / "processes",
        "FORMS_DIR": ROOT / "forms",
        "DEMO_MODE": os.environ.get("INVALIDITE_DEMO", "1") == "1",
        "RUN_TIMERS": os.environ.get("INVALIDITE_TIMERS", "0") == "1",
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,  # above 2 Mo so we can say « trop gros » nicely
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # Supervision: a decision deadline this close (in days) puts the dossier « à risque ».
        "ECHEANCES_A_RISQUE_JOURS": int(os.environ.get("INVALIDITE_ECHEANCES_JOURS", "15")),
    }
    config.update(overrides or {})
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _secret_key(
            Path(config["INSTANCE_DIR"]))
    return config
