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
        # Demo accounts, their listing on the login page and a movable clock: only when asked
        # for (`make run` does); any other start refuses them and says so in the log.
        "DEMO_MODE": os.environ.get("INVALIDITE_DEMO", "0") == "1",
        "RUN_TIMERS": os.environ.get("INVALIDITE_TIMERS", "0") == "1",
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,  # above 2 Mo so we can say « trop gros » nicely
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # Login sessions (server-side rows, app/web/auth/sessions.py): closed after this much
        # inactivity, and in any case this long after the login.
        "SESSION_IDLE_MINUTES": int(os.environ.get("INVALIDITE_SESSION_INACTIVITE_MINUTES",
                                                   "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("INVALIDITE_SESSION_MAX_HEURES", "12")),
        # Failed logins allowed per account and per client address (Flask-Limiter syntax).
        # Storage: memory:// serves one process; with several gunicorn workers or machines,
        # share it: redis://host:6379 (or memcached://, mongodb://; see the limits library).
        "LOGIN_LIMIT_ACCOUNT": os.environ.get("INVALIDITE_LIMITE_COMPTE", "10 per 15 minutes"),
        "LOGIN_LIMIT_ADDRESS": os.environ.get("INVALIDITE_LIMITE_ADRESSE", "30 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Served over HTTPS (directly or behind a TLS proxy): cookies only travel encrypted.
        "SESSION_COOKIE_SECURE": os.environ.get("INVALIDITE_HTTPS", "0") == "1",
        "REMEMBER_COOKIE_SECURE": os.environ.get("INVALIDITE_HTTPS", "0") == "1",
        "PREFERRED_URL_SCHEME": "https" if os.environ.get("INVALIDITE_HTTPS", "0") == "1"
        else "http",
        # Reverse proxies in front (0: none): their X-Forwarded-For/-Proto are then trusted,
        # so the per-address login limit counts clients, not the proxy.
        "PROXY_COUNT": int(os.environ.get("INVALIDITE_PROXIES", "0")),
        # Supervision: a decision deadline this close (in days) puts the dossier « à risque ».
        "ECHEANCES_A_RISQUE_JOURS": int(os.environ.get("INVALIDITE_ECHEANCES_JOURS", "15")),
        # Readiness: the timer worker is « en retard » when its last pass is older than this.
        "TIMERS_STALE_SECONDS": int(os.environ.get("INVALIDITE_MINUTEURS_RETARD", "60")),
    }
    config.update(overrides or {})
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _secret_key(
            Path(config["INSTANCE_DIR"]))
    return config
