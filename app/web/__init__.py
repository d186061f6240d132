"""Flask application factory: `flask --app app.web:create_app run`."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app.config import ROOT, load_config
from app.db import make_engine, make_session_factory, read_session_factory
from app.engine.clock import clock
from app.engine.errors import RuntimeServiceError
from app.engine.runtime import Runtime

from .auth import bp as auth_bp
from .auth import init_throttling, login_manager
from .shared.erreurs import csrf_error_response, error_response
from .shared.params import MAX_ID
from .shared.security import check_access, public, refuse_nul_bytes, security_headers
from .shared.services import Services, close_db

csrf = CSRFProtect()

NODE_MODULES = ROOT / "node_modules"
VENDOR = {  # /vendor/<name>/... → the dist folder of an npm package
    "dsfr": NODE_MODULES / "@gouvfr/dsfr/dist",
    "bpmn-js": NODE_MODULES / "bpmn-js/dist",
    "dmn-js": NODE_MODULES / "dmn-js/dist",
    "htmx": NODE_MODULES / "htmx.org/dist",
    "axe-core": NODE_MODULES / "axe-core",
}


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in a route: an id beyond what the database holds is a 404, not an overflow
    error inside the query (SQLite: « Python int too large », PostgreSQL: out of range)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class JSONProvider(DefaultJSONProvider):
    """JSON nested deeper than Python's recursion limit is invalid JSON (→ a French 400),
    not a RecursionError (→ a 500). French is written as is (« é », not « \\u00e9 »)."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError as err:
            raise ValueError("JSON trop imbriqué") from err


def create_app(overrides: dict | None = None) -> Flask:
    config = load_config(overrides)
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(config)
    if config.get("PROXY_COUNT"):  # behind N trusted proxies: the client's address and scheme
        hops = config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    engine = make_engine(config["DATABASE_URL"])
    session_factory = make_session_factory(engine)
    read_factory = read_session_factory(config["DATABASE_URL"], engine)
    clock.bind(read_factory, movable=bool(config.get("DEMO_MODE")))  # real time outside demo
    runtime = Runtime(session_factory, form_validator=_form_validator())
    store = _store(config, session_factory)
    _add_step_hooks(runtime, store)
    app.extensions["invalidite"] = Services(engine, session_factory, read_factory, runtime,
                                            store=store)
    _register(app)
    from app.cli import register as register_cli

    register_cli(app)
    from .shared.mode_demo import setup as setup_demo_mode

    setup_demo_mode(app)
    if config.get("RUN_TIMERS"):
        _start_timers(app)
    return app


def _form_validator():
    from app.forms import validate_data

    return validate_data


def _add_step_hooks(runtime: Runtime, store) -> None:
    from app.documents.delivery import LetterDelivery, load_builders
    from app.engine.dossier_hooks import apply_dossier_effects

    load_builders()
    runtime.after_step_hooks += [apply_dossier_effects,
                                 LetterDelivery(store, clock.today, clock.now)]


def _store(config, session_factory):
    """Documents in PostgreSQL when the app runs on it (every machine shares them), else the
    local folder; INVALIDITE_DOCUMENTS=dossier|base forces one (app/documents/storage.py)."""
    import os

    from app.documents.storage import store_for

    choix = config.get("DOCUMENT_STORE", os.environ.get("INVALIDITE_DOCUMENTS"))
    return store_for(config["DATABASE_URL"], Path(config["UPLOAD_DIR"]), session_factory,
                     choix, now=clock.now)


def _register(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    init_throttling(app)  # login limits per account and per address, 429 in French
    app.before_request(refuse_nul_bytes)
    app.before_request(check_access)
    app.after_request(security_headers)
    app.teardown_appcontext(close_db)
    app.register_blueprint(auth_bp)
    for blueprint in _feature_blueprints():
        app.register_blueprint(blueprint)
    app.add_url_rule("/vendor/<package>/<path:filename>", "vendor", vendor)
    _error_pages(app)

    from .shared.filters import register_filters

    register_filters(app)

    @app.context_processor
    def inject_clock():
        return {"clock_now": clock.now(), "demo_mode": app.config.get("DEMO_MODE"),
                "nav_links": lambda role: nav_links(app, role)}


NAVIGATION = {  # (label, endpoint) per role; entries whose page does not exist are skipped
    "assure": [("Accueil", "assure.accueil"), ("Mes dossiers", "assure.dossiers"),
               ("Messagerie", "assure.messagerie"), ("Mes informations", "assure.informations")],
    "agent": [("Mes tâches", "agent.inbox"), ("Messages", "agent.messagerie"),
              ("Saisir un formulaire S4150", "agent.s4150")],
    "medecin_conseil": [("Mes tâches", "agent.inbox"), ("Messages", "agent.messagerie")],
    "cra": [("Réclamations", "agent.inbox")],
    "cmra": [("Réclamations", "agent.inbox")],
    "analyste": [("Studio", "studio.index")],
    "superviseur": [("Supervision", "supervision.index"), ("Instances", "supervision.instances"),
                    ("Échéances", "supervision.echeances")],
}
NAVIGATION["superviseur"].append(("Tâches du back office", "agent.inbox"))  # issue 4: reassign


def nav_links(app: Flask, role: str) -> list[tuple[str, str]]:
    return [(label, endpoint) for label, endpoint in NAVIGATION.get(role, [])
            if endpoint in app.view_functions]


def _feature_blueprints():
    from . import blueprints

    return blueprints.ALL


@public
def vendor(package: str, filename: str):
    folder = VENDOR.get(package)
    if folder is None:
        return ("", 404)
    return send_from_directory(folder, filename, max_age=86400)


def _error_pages(app: Flask) -> None:
    messages = {
        400: "La requête n'est pas valide (données mal formées ou illisibles) : rien n'a été "
             "enregistré. Revenez à la page précédente et recommencez.",
        401: "Vous devez être connecté pour faire cela.",
        403: "Vous n'avez pas accès à cette page.",
        404: "Page introuvable.",
        405: "Cette adresse ne permet pas cette action.",
        409: "Cette action a déjà été faite ou le dossier a changé entre-temps.",
        413: "Le fichier envoyé est trop volumineux (4 Mo au plus par envoi) : rien n'a été "
             "enregistré.",
        415: "Ce type de contenu n'est pas accepté ici.",
        500: "Une erreur inattendue s'est produite : l'action n'a pas été enregistrée. "
             "Réessayez ; si cela recommence, signalez-le à l'assistance.",
    }
    for code, text in messages.items():
        app.register_error_handler(code, lambda err, c=code, t=text: error_response(c, t))

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return csrf_error_response()

    @app.errorhandler(RuntimeServiceError)
    def runtime_error(err):
        return error_response(err.status, err.message)

    from app.documents.outbox import CourrierIndisponible

    @app.errorhandler(CourrierIndisponible)
    def letter_not_ready(err):  # its PDF failed on first read: kept, tried again later
        return error_response(503, err.message)


def _start_timers(app: Flask) -> None:
    """Timers inside the web process: the demo only; production runs `flask run-timers`."""
    from app.engine.timers import TimerWorker

    if not app.config.get("DEMO_MODE"):
        app.logger.warning("INVALIDITE_TIMERS ignoré hors du mode démonstration : les minuteurs "
                           "tournent dans leur propre processus (flask run-timers).")
        return

    worker = TimerWorker(app.extensions["invalidite"].runtime)
    worker.start()
    app.extensions["invalidite"].timer_worker = worker
    from app.documents.outbox import CourrierWorker  # letters' PDFs, after their step

    shared = app.extensions["invalidite"]
    CourrierWorker(shared.session_factory, shared.store, clock.now).start()
