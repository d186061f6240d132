"""Route fuzz test: « Never a 500 » (DESIGN.md). Every route, every method it allows, logged
in with a role it admits and a valid CSRF token, receives a deterministic set of hostile inputs:
empty bodies, huge / unicode / NUL / numeric / list form fields, broken JSON, wrong content
types, odd uploads, and URL parameters that do not exist, overflow or try path traversal.
Every answer must be < 500 and show no Python traceback; a 4xx must not be Werkzeug's English
default page. Known 500s still waiting for a fix are listed in KNOWN_500 (nothing is skipped
silently: a listed case that no longer fails makes the test fail too, so the list is emptied).
"""
from __future__ import annotations

import html
import inspect
import io
import json
import os
import random
import re
import shutil
import struct
import time
import traceback
import zipfile
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app.engine.clock import clock
from app.engine.errors import IncidentRaised
from app.models import Document, Dossier, HumanTask, Incident, Message, ProcessInstance
from app.web.shared.security import ACCESS_ATTR, ANY_USER, PUBLIC

from .assure_aide import (
    fill_until_recap,
    pdf_bytes,
    start_request,
    submit_recap,
    submitted_request,
)
from .conftest import FIXTURES, ROOT, deploy_folder, login
from .test_instruction_outils import dossier, dossier_recu, verifier
from .test_supervision_instances import open_task, start_with_dossier

ROLE_ACCOUNT = {"assure": "marie.durand", "agent": "agent.cramif", "medecin_conseil": "medecin",
                "analyste": "analyste", "superviseur": "superviseur"}
ROLE_PREFERENCE = ("agent", "superviseur", "analyste", "assure", "medecin_conseil")
SEED = 20261206

# Known 500s waiting for a fix: (endpoint, method, input label) → the cause. Empty is the
# rule; an entry is a debt. The test fails on any other 500, and when a listed one stops
# answering 500, so that the entry is removed.
KNOWN_500: dict[tuple[str, str, str], str] = {}

HUGE = "A" * 100_000
DEEP_JSON = "[" * 5_000 + "]" * 5_000  # deeper than Python's recursion limit (1 000)
XML_BOMB = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                      for i in range(8))
            + ']><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&i;'
            "</definitions>")
XXE = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&x;'
       "</definitions>")
WEIRD = ["\x00", "é\x00ü", "²", "٣", "\u202e\u200b", "😀𝕏", "\r\n\r\n", "<script>alert(1)</script>",
         "' OR 1=1 --", "{{7*7}}{0}%s", "../../../../etc/passwd", "nan", "1e309", "-0",
         "2026-02-30", "0000-00-00", "true", "null", "[]", "{}"]
NUMBERS = ["0", "12345", "3.14159", "-1", "-99999999999999999999", "9" * 400,
           str(2 ** 63), str(-(2 ** 63) - 1)]
# URL parameters: zero, absent, beyond a 32-bit column, beyond SQLite's 64 bits; odd strings.
INT_PARAMS = [0, 999_999, 2 ** 31, 10 ** 30]
STR_PARAMS = ["..", "...", "..%2F..%2Fetc%2Fpasswd", "....//....//etc/passwd",
              "..\\..\\windows\\win.ini", "absent.bpmn", "x" * 3000, "é😀.json", "a\x00.bpmn",
              "%00", "processes/../../pyproject.toml", "-1", "9" * 40]
MAX_FIELDS = 60
# Other kinds of file a route also edits: the hostile bodies go to each of them too.
OTHER_FILES = {"studio.save": ("medical_examen.json", "taux_categorie.dmn")}
OTHER_FILE_INPUTS = ("form vide", "unicode et NUL", "JSON très imbriqué et fermé dans les champs",
                     "XML à entités en cascade dans les champs", "JSON mauvais types")
LAST = ("studio.test_run_discard", "studio.drop", "supervision.terminate", "auth.logout")
FILE_FIELD_GUESSES = ("fichier", "document", "archive", "avis_imposition", "file")
COMMON_FIELDS = ("nom", "contenu", "donnees", "version", "motif", "message", "id")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
WERKZEUG_DEFAULT = re.compile(r"<title>\d{3} [A-Za-z ]+</title>\s*<h1>")
FIELD_READ = re.compile(r"request\.(form|files|args|values)\.(?:get|getlist)\(\s*f?[\"']"
                        r"([A-Za-z_][\w-]*)")
ARGS_READ = re.compile(r"\bargs(?:\.get\(|\[)\s*[\"']([A-Za-z_]\w*)")
FORM_ACTION = re.compile(r"<form\b[^>]*action=\"([^\"]+)\"")
HIDDEN_INPUT = re.compile(r"<input\b[^>]*type=[\"']hidden[\"'][^>]*>")
NAME_ATTR = re.compile(r"""name=["']([A-Za-z_][\w.\[\]-]{0,80})["']""")


# ----- the world the routes are fuzzed against ---------------------------------------------
@pytest.fixture
def world(app, web, users, session_factory, tmp_path):
    """Real ids so that hostile bodies reach the code behind the 404s: a dossier waiting for
    the agent (with a tax notice), one waiting for the assuré's documents (with its letter),
    one refused and open to contest, a draft request, a conversation and a studio test run.
    The studio works on copies of the folders."""
    processes, forms = tmp_path / "fz_processes", tmp_path / "fz_forms"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    app.config.update(PROCESSES_DIR=processes, FORMS_DIR=forms)
    online = app.test_client()  # (CSRF still off: the request helpers post without a token)
    submitted = start_request(online)
    submitted_request(online, submitted)
    # A second request is refused while the first is under instruction (issue 11): the
    # first is decided before the assuré starts the second.
    with session_factory() as session, session.begin():
        session.scalar(select(Dossier).where(Dossier.numero == submitted)).statut = "refus"
    draft = start_request(online)  # a second request, waiting for its tax notice
    fill_until_recap(online, draft)
    assert submit_recap(online, draft).status_code == 303
    app.config["WTF_CSRF_ENABLED"] = True
    marie, agent, medecin = users["marie.durand"], users["agent.cramif"], users["medecin"]
    iid = dossier_recu(web, users)
    pieces = dossier_recu(web, users)
    verifier(web, session_factory, pieces, agent, pieces_completes=False,
             pieces_demandees=["identite"], precision_pieces="Votre pièce d'identité.")
    refus = dossier_recu(web, users)
    verifier(web, session_factory, refus, agent)
    today = clock.today()
    web.complete_task(open_task_of(session_factory, refus, "medecin_conseil"), medecin, {
        "convocation_date": (today + timedelta(days=14)).isoformat(),
        "convocation_heure": "09:30", "convocation_lieu": "Service médical de Paris",
        "convocation_adresse": "10 rue de la Santé\n75014 Paris",
        "convocation_medecin": medecin.nom_complet})
    web.complete_task(open_task_of(session_factory, refus, "medecin_conseil"), medecin, {
        "date_examen": today.isoformat(), "capacite_reduite": False,
        "date_constat": today.isoformat(), "constatations": "Capacité conservée."})
    web.complete_task(open_task_of(session_factory, refus, "agent"), agent, {
        "motifs_refus_medical": "Capacité réduite de moins des deux tiers.",
        "refus_verifie": True})
    deploy_folder(session_factory, FIXTURES / "processes", FIXTURES / "forms")
    fragile = start_with_dossier(web, users, "INV-FUZZ", key="etape_fragile")
    with pytest.raises(IncidentRaised):  # an incident for the superviseur's « relancer »
        web.complete_task(open_task(session_factory, fragile).id, agent, {"diviseur": 0})
    stored = app.extensions["invalidite"].store.save(b"%PDF-1.4\n% avis d'imposition\n")
    with session_factory() as session, session.begin():
        avis = Document(owner_id=marie.id, instance_id=iid, kind="avis_imposition",
                        original_name="avis.pdf", stored_name=stored.stored_name,
                        sha256=stored.sha256, size=stored.size, created_at=clock.now())
        session.add(avis)
        session.flush()
        message = session.scalar(select(Message).where(Message.recipient_id == marie.id)
                                 .order_by(Message.id))
        assert message is not None and message.document_id, "no letter to fuzz its routes"
        ids = {"instance_id": iid, "message_id": message.id, "letter_id": message.document_id,
               "document_id": avis.id, "fragile": fragile,
               "incident_id": session.scalar(select(Incident.id).where(
                   Incident.instance_id == fragile)),
               "filename": "instruction_invalidite.bpmn"}
    ids.update(task_id=open_task_of(session_factory, iid, "agent"),
               numero=dossier(session_factory, iid).numero,
               numero_refus=dossier(session_factory, refus).numero,
               pieces_task=open_task_of(session_factory, pieces, "assure"),
               contest_task=open_task_of(session_factory, refus, "assure"))
    ids.update(demande=draft, numero_soumis=submitted)
    assure = signed_in(app, "assure")
    chat = assure.post("/assure/amelibot/nouvelle", headers=assure.csrf_headers)
    ids.update(messagerie_world(assure, session_factory))
    ids["amelibot"] = int(_last_segment(chat.headers["Location"]).split("#")[0])
    analyste = signed_in(app, "analyste")
    run = analyste.post("/studio/essais", data={"fichier": "triage_amelibot.bpmn"},
                        headers=analyste.csrf_headers)
    ids["essai"] = int(_last_segment(run.headers["Location"]))
    with session_factory() as session:
        ids["essai_tache"] = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == ids["essai"]).order_by(HumanTask.id))
        ids["assure_task"] = session.scalar(  # the draft's step waiting for the tax notice
            select(HumanTask.id).join(ProcessInstance).where(
                ProcessInstance.business_key == draft, HumanTask.status == "open",
                HumanTask.assignee_id == marie.id))
    assert None not in ids.values(), ids
    return ids


def messagerie_world(assure, session_factory) -> dict:
    """A conversation of the assuré with the Service Invalidité, with one attachment."""
    sent = assure.post("/assure/messagerie/nouveau", headers=assure.csrf_headers,
                       content_type="multipart/form-data", data={
                           "service": "invalidite", "objet": "Question", "texte": "Bonjour",
                           "pieces": [(io.BytesIO(pdf_bytes(1)), "piece.pdf")]})
    assert sent.status_code == 302, sent.status_code
    with session_factory() as session:
        attachment = session.scalar(select(Document).where(
            Document.original_name == "piece.pdf"))
    return {"conversation_id": int(_last_segment(sent.headers["Location"])),
            "piece_jointe": attachment.id}


def open_task_of(session_factory, instance_id: int, role: str) -> int:
    """The id of the open task of that role in the instance (whatever its BPMN id)."""
    with session_factory() as session:
        found = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open",
            HumanTask.role == role).order_by(HumanTask.id)).all()
    assert len(found) == 1, (instance_id, role, found)
    return found[0]


def _last_segment(location: str) -> str:
    return location.split("?")[0].rstrip("/").rsplit("/", 1)[-1]


def signed_in(app, role: str):
    client = app.test_client()
    assert login_with_csrf(client, ROLE_ACCOUNT[role]).status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, f"no CSRF token on the home page of {role}"
    client.csrf_token = token.group(1)
    client.csrf_headers = {"X-CSRFToken": client.csrf_token}
    return client


def login_with_csrf(client, who: str):
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/connexion", data={"email": f"{who}@demo.fr", "password": "demo",
                                           "csrf_token": token})


def real_value(endpoint: str, arg: str, ids: dict):
    if arg == "numero":
        if endpoint == "assure.demande_recapitulatif_pdf":
            return ids["numero_soumis"]
        if endpoint.startswith("assure_recours"):
            return ids["numero_refus"]
        return ids["demande"] if endpoint.startswith("assure.demande") else ids["numero"]
    if arg == "filename":
        kind = endpoint.split(".")[-1]
        return {"dmn_editor": "taux_categorie.dmn", "form_editor": "medical_examen.json",
                "form_try": "medical_examen.json"}.get(kind, ids["filename"])
    if endpoint.startswith("studio."):
        return {"instance_id": ids["essai"], "task_id": ids["essai_tache"]}.get(arg, 1)
    if endpoint == "supervision.retry":
        return {"instance_id": ids["fragile"], "incident_id": ids["incident_id"]}[arg]
    special = {"assure.amelibot_conversation": ids["amelibot"], "assure.tache": ids["assure_task"],
               "assure_pieces.deposer": ids["pieces_task"], "assure.document": ids["letter_id"],
               "assure_recours.contester": ids["contest_task"]}
    if endpoint.endswith(".conversation_piece") and arg == "document_id":
        return ids["piece_jointe"]
    return special.get(endpoint, ids.get(arg, 1))


def role_for(allowed) -> str:
    if ANY_USER in allowed:
        return "assure"
    return next(role for role in ROLE_PREFERENCE if role in allowed)


def fields_read_by(view) -> tuple[set[str], set[str], set[str]]:
    """(form fields, file fields, query args) the view's module reads, by name."""
    source = inspect.getsource(inspect.getmodule(inspect.unwrap(view)))
    form, files, args = set(), set(), set()
    for where, name in FIELD_READ.findall(source):
        {"form": form, "values": form, "files": files, "args": args}[where].add(name)
    args.update(ARGS_READ.findall(source))
    return form, files, args


# ----- hostile inputs ------------------------------------------------------------------------
def form_variants(fields: list[str], rng: random.Random,
                  hidden: dict[str, str]) -> list[tuple[str, dict]]:
    """(label, request kwargs) of form-encoded bodies. The hidden fields of the page keep
    their value except in the lists and the second random mix."""
    many = fields if len(fields) <= 20 else rng.sample(fields, 20)  # ≤ 2 Mo: not a 413
    pool = WEIRD + NUMBERS + [HUGE[:5000]]

    def each(value):
        return MultiDict([(f, hidden.get(f, value)) for f in fields])

    lists = MultiDict([(f, v) for f in fields for v in ("1", "", "\x00", "-5")])
    mixed = [MultiDict([(f, hidden.get(f, rng.choice(pool))) for f in fields]),
             MultiDict([(f, rng.choice(pool)) for f in fields])]
    return [
        ("form vide", {"data": {}}),
        ("champs de 100 Ko", {"data": MultiDict([(f, hidden.get(f, HUGE)) for f in many])}),
        ("unicode et NUL", {"data": MultiDict([(f, hidden.get(f, rng.choice(WEIRD[:11])))
                                                for f in fields])}),
        ("nombres au lieu de texte", {"data": each("12345")}),
        ("chiffres non ASCII", {"data": each("²٣")}),  # str.isdigit() yes, int() no
        ("chiffres non ASCII, champs cachés compris",
         {"data": MultiDict([(f, "²") for f in fields])}),
        ("actions et noms de champs piégés", {"data": forged_names(fields)}),
        ("entiers négatifs", {"data": each("-99999999999999999999")}),
        ("entiers énormes", {"data": each("9" * 400)}),
        ("listes au lieu de valeurs", {"data": lists}),
        ("JSON très imbriqué dans les champs", {"data": each("[" * 5_000)}),
        ("JSON très imbriqué et fermé dans les champs", {"data": each(DEEP_JSON)}),
        ("XML à entités en cascade dans les champs", {"data": each(XML_BOMB)}),
        ("XML à entité externe dans les champs", {"data": each(XXE)}),
        ("mélange aléatoire 1", {"data": mixed[0]}),
        ("mélange aléatoire 2", {"data": mixed[1]}),
    ]


def forged_names(fields: list[str]) -> MultiDict:
    """Row counts, row indexes and row actions (`_action`, `action`) as a forged request
    could send them, for every field and every repeatable prefix the page names."""
    prefixes = set(fields) | {m.group(1) for f in fields
                              for m in [re.match(r"(.+?)\.\d+(?:\.|$)", f)] if m}
    data = MultiDict()
    for prefix in sorted(prefixes)[:MAX_FIELDS]:
        data.add(f"{prefix}._count", "²")
        data.add(f"{prefix}.².{prefix}", "x")
        data.add(f"{prefix}.{'9' * 30}.x", "x")
        data.add("_action", f"remove:{prefix}:²")
    for name in ("action", "_action"):
        for value in ("retirer:²", "retirer:" + "9" * 30, "retirer:", "remove::", "add:"):
            data.add(name, value)
    return data


def json_variants(fields: list[str], rng: random.Random) -> list[tuple[str, dict]]:
    hostile = [None, True, -1, 2 ** 70, 1.5e308, "", HUGE[:2000], [], {}, [1, [2]], {"a": {}}]
    obj = {f: rng.choice(hostile) for f in fields}
    obj["donnees"] = {f: rng.choice(hostile) for f in fields} or {"x": [None]}
    obj["version"] = "pas un nombre"
    deep = DEEP_JSON
    return [
        ("JSON liste", {"data": "[1, 2, 3]", "content_type": "application/json"}),
        ("JSON chaîne", {"data": '"texte"', "content_type": "application/json"}),
        ("JSON null", {"data": "null", "content_type": "application/json"}),
        ("JSON invalide", {"data": '{"donnees": ', "content_type": "application/json"}),
        ("JSON très imbriqué", {"data": deep, "content_type": "application/json"}),
        ("JSON mauvais types", {"data": json.dumps(obj), "content_type": "application/json"}),
        ("JSON donnees non objet", {"data": json.dumps({"donnees": [1, 2], "version": {}}),
                                    "content_type": "application/json"}),
        ("formulaire étiqueté JSON", {"data": "a=1&b=2", "content_type": "application/json"}),
        ("JSON étiqueté texte", {"data": '{"a": 1}', "content_type": "text/plain"}),
        ("multipart sans boundary", {"data": b"--x\r\nzzz", "content_type": "multipart/form-data"}),
        ("octets binaires", {"data": bytes(range(256)) * 8,
                             "content_type": "application/x-www-form-urlencoded"}),
    ]


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _zip_wrong_size(declared: int) -> bytes:
    """A studio-like zip whose entry declares `declared` bytes (compressed and not) in its
    local header and in the central directory, whatever it really holds (was a BadZipFile)."""
    data = bytearray(_zip({"forms/faux.json": b'{"title": "x"}' * 10}))
    central = data.find(b"PK\x01\x02")
    for offset in (18, 22):  # compressed size, uncompressed size (local header)
        struct.pack_into("<I", data, offset, declared)
        struct.pack_into("<I", data, central + offset + 2, declared)
    return bytes(data)


def upload_variants(file_fields: list[str]) -> list[tuple[str, dict]]:
    def files(name: str, content: bytes, content_type="application/octet-stream"):
        data = MultiDict()
        for field in file_fields:
            data.add(field, (io.BytesIO(content), name, content_type))
        return {"data": data, "content_type": "multipart/form-data"}

    return [
        ("fichier sans nom", files("", b"")),
        ("fichier de 0 octet", files("avis.pdf", b"", "application/pdf")),
        ("faux PDF (GIF)", files("avis.pdf", b"GIF89a" + b"\x00" * 200, "application/pdf")),
        ("PDF tronqué", files("avis.pdf", b"%PDF-1.4\n1 0 obj <<", "application/pdf")),
        ("exécutable", files("virus.exe", b"MZ\x90\x00" * 64)),
        ("nom de fichier traversant", files("../../../etc/passwd", b"root:x:0:0")),
        ("fichier de 3 Mo", files("gros.pdf", b"%PDF-1.4\n" + b"0" * 3_000_000,
                                  "application/pdf")),
        ("fichier de 5 Mo (au-delà de la limite)", files("enorme.pdf", b"%" * 5_000_000)),
        ("zip qui traverse", files("export.zip", _zip({"../../evil.bpmn": b"<x/>",
                                                      "/abs.json": b"{}"}),
                                   "application/zip")),
        ("zip invalide", files("export.zip", b"PK\x03\x04 pas un zip", "application/zip")),
        ("zip à taille déclarée trop petite", files("export.zip", _zip_wrong_size(1),
                                                     "application/zip")),
        ("zip à taille déclarée trop grande", files("export.zip", _zip_wrong_size(1_000_000),
                                                     "application/zip")),
        ("zip de fichiers piégés", files("export.zip", _zip({
            "bombe.bpmn": XML_BOMB.encode(), "externe.dmn": XXE.encode(),
            "profond.json": DEEP_JSON.encode(), "binaire.bpmn": bytes(range(256)),
            "latin1.json": "{\"title\": \"é\"}".encode("latin-1")}), "application/zip")),
    ]


def query_variants(args: list[str]) -> list[tuple[str, dict]]:
    if not args:
        args = ["page"]
    return [
        ("paramètres de 100 Ko", {"query_string": {a: HUGE for a in args[:5]}}),
        ("paramètres unicode et NUL", {"query_string": {a: "é\x00😀" for a in args}}),
        ("paramètres en chiffres non ASCII", {"query_string": {a: "²" for a in args}}),
        ("paramètres entiers négatifs/énormes",
         {"query_string": MultiDict([(a, v) for a in args for v in ("-1", "9" * 400)])}),
        ("paramètres traversants", {"query_string": {a: "../../etc/passwd" for a in args}}),
    ]


def url_variants(rule, real: dict) -> list[tuple[str, dict]]:
    """(label, values) with one parameter at a time made hostile, the others real."""
    found = []
    for arg in sorted(rule.arguments):
        integer = isinstance(rule._converters[arg], IntegerConverter)
        for value in (INT_PARAMS if integer else STR_PARAMS):
            found.append((f"{arg}={str(value)[:30]!r}", {**real, arg: value}))
    return found


# ----- the test ------------------------------------------------------------------------------
def build_url(app, rule, values: dict) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(rule.endpoint, **{k: v for k, v in values.items() if k != "_"})


def check(response_or_error, failures, key, detail):
    if isinstance(response_or_error, BaseException):
        summary = "".join(traceback.format_exception_only(response_or_error)).strip()
        where = traceback.extract_tb(response_or_error.__traceback__)
        last_app = [f for f in where if "/app/" in f.filename][-1:] or where[-1:]
        place = f"{last_app[0].filename.split('/main/')[-1]}:{last_app[0].lineno}" \
            if last_app else "?"
        failures[key] = f"exception {summary[:300]} at {place} ({detail})"
        return
    response = response_or_error
    body = response.get_data(as_text=True) if response.mimetype.startswith(
        ("text/", "application/json")) else ""
    if response.status_code >= 500:
        failures[key] = f"HTTP {response.status_code} ({detail})"
    elif TRACEBACK.search(body):
        failures[key] = f"traceback in the body, HTTP {response.status_code} ({detail})"
    elif 400 <= response.status_code and WERKZEUG_DEFAULT.search(body):
        failures[key] = f"English default error page, HTTP {response.status_code} ({detail})"


def send(client, method, url, kwargs):
    headers = {**client.csrf_headers, **kwargs.pop("headers", {})}
    data = kwargs.get("data")
    if isinstance(data, MultiDict):
        data.add("csrf_token", client.csrf_token)
    elif isinstance(data, dict):
        data["csrf_token"] = client.csrf_token
    try:
        return client.open(url, method=method, headers=headers, **kwargs)
    except Exception as error:  # noqa: BLE001 - TESTING propagates what would be a 500
        return error


def page_fields(client, url: str) -> tuple[set[str], dict[str, str], str]:
    """(names of the inputs, {hidden input: its value}, the form's action) of the page at
    `url`: JSON Schema forms name their fields there, and the task, version or fingerprint
    the page gives (hidden inputs, action query) are kept in most inputs so that the hostile
    fields reach the validation instead of a « page changed » redirect."""
    response = client.get(url)
    if response.status_code != 200 or not response.mimetype.startswith("text/html"):
        return set(), {}, url
    page = response.get_data(as_text=True)
    actions = [html.unescape(a) for a in FORM_ACTION.findall(page)]
    action = next((a for a in actions if a.split("?")[0] == url and "?" in a), url)
    hidden = {}
    for tag in HIDDEN_INPUT.findall(page):
        name, value = NAME_ATTR.search(tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            hidden.setdefault(name.group(1), html.unescape(value.group(1)))
    hidden.pop("csrf_token", None)
    return set(NAME_ATTR.findall(page)) - {"csrf_token"}, hidden, action


def plan(app, world, client_for):
    """Every (endpoint, method, role, label, url, request kwargs) to try, deterministic.
    Routes that end something (a test run, a session, a draft, an instance) come last."""
    rng = random.Random(SEED)
    cases = []
    rules = sorted(app.url_map.iter_rules(),
                   key=lambda r: (r.endpoint in LAST, r.rule, r.endpoint))
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, ACCESS_ATTR, None) or set()
        if rule.endpoint in ("static", "vendor") or PUBLIC in allowed and \
                rule.endpoint != "auth.login":
            continue
        role = "assure" if rule.endpoint == "auth.login" else role_for(allowed)
        real = {arg: real_value(rule.endpoint, arg, world) for arg in rule.arguments}
        url = build_url(app, rule, real)
        form, files, args = fields_read_by(view)
        hidden: dict[str, str] = {}
        action = url
        if "GET" in rule.methods and "POST" in rule.methods:
            names, hidden, action = page_fields(client_for(role), url)
            form |= names
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            inputs = [("URL réelle", {})]
            if method == "GET":  # the other roles it admits see the page too
                inputs += [(f"URL réelle ({other})", {"_role": other})
                           for other in sorted(set(allowed) & set(ROLE_ACCOUNT) - {role})]
            inputs += [(label, {"_url": build_url(app, rule, values)})
                       for label, values in url_variants(rule, real)]
            if method == "GET":
                inputs += query_variants(sorted(args))
            else:
                names = sorted(form | set(COMMON_FIELDS))[:MAX_FIELDS]
                inputs += form_variants(names, rng, hidden) + json_variants(names, rng)
                inputs += upload_variants(sorted(files) or list(FILE_FIELD_GUESSES[:1]))
                inputs.append(("formulaire, réponse JSON demandée", {
                    "data": MultiDict([(f, hidden.get(f, rng.choice(WEIRD))) for f in names]),
                    "headers": {"Accept": "application/json"}}))
                if args:  # the query string a POST reads too (task, version…)
                    inputs += [(f"POST {label}", {**kwargs, "_url": url})
                               for label, kwargs in query_variants(sorted(args))]
            for other in OTHER_FILES.get(rule.endpoint, ()) if method == "POST" else ():
                other_url = build_url(app, rule, {**real, "filename": other})
                inputs += [(f"{label} [{other}]", {**kwargs, "_url": other_url})
                           for label, kwargs in form_variants(names, rng, {})
                           + json_variants(names, rng) if label in OTHER_FILE_INPUTS]
            for label, kwargs in inputs:
                target = kwargs.pop("_url", action if method == "POST" else url)
                who = kwargs.pop("_role", role)
                cases.append((rule.endpoint, method, who, label, target, kwargs))
        unexpected = "PUT" if "PUT" not in rule.methods else "PATCH"  # → a French 405
        cases.append((rule.endpoint, unexpected, role, f"méthode {unexpected} non prévue", url, {}))
    return cases


def test_no_route_answers_500_to_hostile_input(app, world, capsys):
    started = time.monotonic()
    clients: dict[str, object] = {}

    def client_for(role):
        if role not in clients:
            clients[role] = signed_in(app, role)
        return clients[role]

    cases = plan(app, world, client_for)
    failures: dict[tuple[str, str, str], str] = {}
    routes = set()
    statuses: dict[tuple[str, str], Counter] = defaultdict(Counter)
    spent: dict[tuple[str, str], float] = defaultdict(float)
    slowest: list[tuple[float, str, str, str]] = []
    for endpoint, method, role, label, url, kwargs in cases:
        if endpoint == "auth.logout":
            clients.pop(role, None)  # logout ends the session: a fresh one each time
        if method in ("GET", "POST"):
            routes.add((endpoint, method))
        before = time.monotonic()
        result = send(client_for(role), method, url, kwargs)
        spent[endpoint, method] += time.monotonic() - before
        slowest.append((time.monotonic() - before, endpoint, method, label))
        check(result, failures, (endpoint, method, label), f"{role} {method} {url[:120]}")
        statuses[endpoint, method][getattr(result, "status_code", "exception")] += 1
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\nfuzz: {len(routes)} routes×méthodes × {len({c[3] for c in cases})} entrées "
              f"différentes = {len(cases)} requêtes, {len(failures)} en échec, {elapsed:.1f} s")
        for key, why in sorted(failures.items()):
            print("  500 connu (KNOWN_500):" if key in KNOWN_500 else "  500 NOUVEAU:", key,
                  "→", why)
        if os.environ.get("FUZZ_VERBOSE"):  # which answers each route gave
            for (endpoint, method), seen in sorted(statuses.items()):
                print(f"  {method:4} {endpoint:40} {spent[endpoint, method]:5.1f} s "
                      f"{dict(sorted(seen.items(), key=str))}")
            for seconds, *case in sorted(slowest, reverse=True)[:25]:
                print(f"  {seconds:5.2f} s {case}")
    new = {k: v for k, v in failures.items() if k not in KNOWN_500}
    fixed = sorted(set(KNOWN_500) - set(failures))
    assert not new, "routes answering 500 (or a traceback):\n" + "\n".join(
        f"{k}: {v}" for k, v in sorted(new.items()))
    assert not fixed, f"these KNOWN_500 cases no longer fail, remove them: {fixed}"


def test_the_fuzz_test_catches_a_route_that_raises(app, users):
    """The harness itself: a view that raises is reported, not swallowed."""
    app.config["WTF_CSRF_ENABLED"] = True
    view = app.view_functions["supervision.clock_page"]
    def broken():
        return 1 / 0

    setattr(broken, ACCESS_ATTR, frozenset({"superviseur"}))
    app.view_functions["supervision.clock_page"] = broken
    try:
        client = signed_in(app, "superviseur")
        failures: dict = {}
        result = send(client, "GET", "/supervision/horloge", {})
        check(result, failures, ("supervision.clock_page", "GET", "URL réelle"), "")
        assert list(failures) == [("supervision.clock_page", "GET", "URL réelle")]
        assert "ZeroDivisionError" in failures[("supervision.clock_page", "GET", "URL réelle")]
    finally:
        app.view_functions["supervision.clock_page"] = view


def test_what_the_fuzz_found_is_answered_in_french(app, users):
    """The 500s this fuzz test found, each now a 4xx with a French message."""
    client = app.test_client()
    login(client, "superviseur")
    huge_id = client.get(f"/supervision/instances/{10 ** 30}")  # was an OverflowError
    assert huge_id.status_code == 404 and "Page introuvable" in html_of(huge_id)
    put = client.put("/supervision/horloge")
    assert put.status_code == 405 and "ne permet pas cette action" in html_of(put)
    clock_page = client.post("/supervision/horloge", data={"jours": "1e400"},
                             follow_redirects=True)  # was float('inf') → timedelta overflow
    assert clock_page.status_code == 200 and "Indiquez" in html_of(clock_page)
    client.post("/deconnexion")
    login(client, "agent.cramif")
    for body in ("[" * 5_000, "[1, 2]", '"texte"', '{"donnees": [1]}'):
        answer = client.post("/api/taches/1/completer", data=body,
                             content_type="application/json")
        assert answer.status_code == 400, body[:20]
        assert "objet JSON" in answer.get_json()["erreur"]


def test_a_zip_with_a_wrong_declared_size_is_refused_in_french(app, users, tmp_path):
    """The studio import is where zips are accepted: a size that lies is a French refusal."""
    for folder in ("processes", "forms"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    app.config.update(PROCESSES_DIR=tmp_path / "processes", FORMS_DIR=tmp_path / "forms")
    client = app.test_client()
    login(client, "analyste")
    for declared in (1, 50):
        answer = client.post("/studio/import", data={"fichier": (
            io.BytesIO(_zip_wrong_size(declared)), "export.zip")},
            content_type="multipart/form-data", follow_redirects=True)
        assert answer.status_code < 500
        assert "est illisible dans l&#39;archive" in html_of(answer), declared
    assert not (tmp_path / "forms" / "faux.json").exists()


def test_forged_row_counts_and_indexes_are_ignored():
    """« ² » passes str.isdigit() but not int(): a forged repeat count, row index or
    « remove » action is ignored instead of raising (app/forms/parse.py)."""
    from datetime import date

    from app.forms import read_submission

    schema = json.loads((ROOT / "forms" / "demande_informations.json").read_text())
    for forged in ({"pays._count": "²"}, {"pays.².pays": "x"}, {"_action": "remove:pays:²"}):
        _values, clean, _errors = read_submission(schema, MultiDict(forged), date(2026, 1, 1))
        assert clean is None or isinstance(clean, dict), forged


def html_of(response) -> str:
    return response.get_data(as_text=True)
