"""The OpenAPI 3.1 description of the JSON API, served at GET /api/openapi.json.

Written by hand beside the routes (app/web/api/routes.py) and kept true by tests: every
/api/ route is described and every described path exists (tests/test_openapi.py), example
requests validate against the request schemas, and schemathesis fuzzes the running app
against it with 0 failures (tests/test_schemathesis.py).

Who may read it: any signed-in person (`any_user`). The API is only usable signed in (a
session cookie from /connexion, and the CSRF token of a page in the `X-CSRFToken` header for
a POST), so the contract is given to those who can use it.
"""
from __future__ import annotations

from flask import jsonify

from ..shared.security import any_user
from .blueprint import bp

JSON = "application/json"


def _error(description: str) -> dict:
    return {"description": description,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/Erreur"}}}}


ERREURS = {
    "400": _error("Requête mal formée (corps non JSON, non objet, caractère nul…)."),
    "401": _error("Non connecté."),
    "403": _error("La tâche n'est pas pour vous (rôle, caisse, prise par un autre)."),
    "404": _error("Tâche introuvable."),
    "405": _error("Méthode non prévue sur cette adresse."),
    "409": _error("Déjà traitée, dossier changé entre-temps, suspendu, ou délai dépassé."),
}
# A POST carries the session cookie and the CSRF token of one of the session's pages.
POST_SECURITY = [{"session": [], "csrf": []}]
OK = {"description": "C'est fait.",
      "content": {JSON: {"schema": {"$ref": "#/components/schemas/Ok"}}}}
TASK_ID = {"name": "task_id", "in": "path", "required": True,
           "description": "Identifiant de la tâche (voir GET /api/taches).",
           "schema": {"type": "integer", "minimum": 0}}

PROCESS_KEY = {"name": "key", "in": "path", "required": True,
               "description": "Identifiant du processus déployé (l'id du `bpmn:process`).",
               "schema": {"type": "string", "minLength": 1, "pattern": "^[^\\u0000/]+$"}}
DEMARRER_ERREURS = {
    **ERREURS,
    "403": _error("Ce processus ne démarre pas ici pour vous : votre rôle n'est pas celui du "
                  "couloir de son début, ou il démarre depuis sa page (point d'entrée d'un "
                  "parcours), ou avec le processus qui l'appelle."),
    "404": _error("Aucun processus déployé sous cet identifiant."),
    "422": _error("Votre adresse ne permet pas de trouver votre caisse."),
}

# Any JSON value without a NUL character (\u0000) in a string or a key: the app refuses a NUL
# anywhere in a request (PostgreSQL cannot store it), with a 400.
SANS_NUL = "^[^\\u0000]*$"
JSON_SANS_NUL = {"anyOf": [
    {"type": "string", "pattern": SANS_NUL},
    {"type": ["number", "boolean", "null"]},
    {"type": "array", "items": {"$ref": "#/components/schemas/JsonSansNul"}},
    {"type": "object", "propertyNames": {"pattern": SANS_NUL},
     "additionalProperties": {"$ref": "#/components/schemas/JsonSansNul"}},
]}
OBJET_SANS_NUL = {"type": "object", "propertyNames": {"pattern": SANS_NUL},
                  "additionalProperties": {"$ref": "#/components/schemas/JsonSansNul"}}

COMPLETION_REQUEST = {
    **OBJET_SANS_NUL,
    "properties": {
        "donnees": {**OBJET_SANS_NUL, "description": (
            "Les champs du formulaire de la tâche et leurs valeurs typées (dates ISO "
            "AAAA-MM-JJ ou JJ/MM/AAAA). Les champs inconnus du formulaire sont ignorés ; un "
            "champ `readOnly` garde la valeur du serveur.")},
        "version": {"type": ["integer", "null"], "description": (
            "Version du dossier sur laquelle la saisie a été faite (champ `version` de "
            "GET /api/taches) : si le dossier a changé entre-temps, 409.")},
    },
    "examples": [{"donnees": {"montant": 60}, "version": 3}, {"donnees": {}}],
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Invalidité — API des tâches et des instances",
        "version": "1.0.0",
        "description": (
            "Les tâches de la personne connectée et leur traitement, et le démarrage d'une "
            "instance (un cycle de vie entier par l'API). Compléter une tâche par "
            "l'API est exactement la même porte que sa page : échéances d'abord, champs "
            "`readOnly` gardés par le serveur, mêmes contrôles et mêmes messages en français "
            "par champ (422)."),
    },
    "servers": [{"url": "/"}],
    "security": [{"session": []}],  # and, for a POST, the CSRF header (`POST_SECURITY`)
    "paths": {
        "/api/openapi.json": {"get": {
            "operationId": "contrat", "summary": "Ce document.",
            "responses": {"200": {"description": "Le contrat OpenAPI 3.1 de l'API.",
                                  "content": {JSON: {"schema": {"type": "object"}}}},
                          "401": ERREURS["401"]}}},
        "/api/taches": {"get": {
            "operationId": "lister_taches", "summary": "Mes tâches ouvertes.",
            "responses": {"200": {"description": "Les tâches que je peux traiter.",
                                  "content": {JSON: {"schema": {
                                      "type": "array",
                                      "items": {"$ref": "#/components/schemas/Tache"}}}}},
                          "401": ERREURS["401"], "403": ERREURS["403"]}}},
        "/api/taches/{task_id}/completer": {"post": {
            "operationId": "completer_tache", "summary": "Compléter une tâche.",
            "parameters": [TASK_ID], "security": POST_SECURITY,
            "requestBody": {"required": False, "content": {JSON: {
                "schema": {"$ref": "#/components/schemas/Completion"}}}},
            "responses": {"200": {
                "description": "Complétée ; `taches` : mes tâches ouvertes de la même instance.",
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Completee"}}}},
                **ERREURS, "422": {
                "description": "Le formulaire ou les contrôles de l'étape refusent une valeur.",
                "content": {JSON: {"schema": {
                    "$ref": "#/components/schemas/ErreurFormulaire"}}}}}}},
        "/api/processus/{key}/instances": {"post": {
            "operationId": "demarrer_instance", "summary": "Démarrer une instance.",
            "description": (
                "Démarre la dernière version déployée du processus, au nom de la personne "
                "connectée et dans sa caisse (pour un assuré : la caisse de son adresse). "
                "Seul le rôle du couloir où se trouve l'événement de début peut le faire. "
                "Ne démarrent pas ici : les points d'entrée d'un parcours (ameliBot, la "
                "demande en ligne, le formulaire papier S4150), qui démarrent depuis leur "
                "page, et les processus appelés par un autre. Pas de corps de requête."),
            "parameters": [PROCESS_KEY], "security": POST_SECURITY,
            "responses": {"201": {
                "description": "Démarrée : l'instance, son n° de dossier et celles de ses "
                               "tâches ouvertes que je peux traiter (POST "
                               "/api/taches/{id}/completer).",
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/Demarrage"}}}},
                **DEMARRER_ERREURS}}},
        "/api/taches/{task_id}/prendre": {"post": {
            "operationId": "prendre_tache", "summary": "Prendre une tâche à mon nom.",
            "parameters": [TASK_ID], "security": POST_SECURITY,
            "responses": {"200": OK, **ERREURS}}},
        "/api/taches/{task_id}/liberer": {"post": {
            "operationId": "liberer_tache", "summary": "Libérer une tâche prise.",
            "parameters": [TASK_ID], "security": POST_SECURITY,
            "responses": {"200": OK, **ERREURS}}},
    },
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "Cookie de session obtenu par POST /connexion."},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                     "description": "Jeton CSRF d'une page de la session (POST seulement)."},
        },
        "schemas": {
            "Tache": {"type": "object", "required": [
                "id", "titre", "element", "dossier", "version", "echeance", "pris_par",
                "suspendue"], "properties": {
                "id": {"type": "integer"},
                "titre": {"type": "string"},
                "element": {"type": "string"},
                "dossier": {"type": ["string", "null"], "description": "N° de dossier."},
                "version": {"type": "integer"},
                "echeance": {"type": ["string", "null"], "format": "date-time"},
                "pris_par": {"type": ["integer", "null"]},
                "suspendue": {"type": "boolean"}}},
            "Completion": COMPLETION_REQUEST,
            "Demarrage": {"type": "object", "required": ["instance", "dossier", "taches"],
                          "properties": {
                              "instance": {"type": "integer"},
                              "dossier": {"type": ["string", "null"],
                                          "description": "N° de dossier, s'il y en a un."},
                              "taches": {"type": "array", "items": {"type": "integer"},
                                         "description": "Ses tâches ouvertes que je peux "
                                                        "traiter."}}},
            "JsonSansNul": JSON_SANS_NUL,
            "Completee": {"type": "object", "required": ["ok", "taches"], "properties": {
                "ok": {"const": True},
                "taches": {"type": "array", "items": {"type": "integer"}, "description": (
                    "Les tâches ouvertes de la même instance que je peux traiter.")}}},
            "Ok": {"type": "object", "required": ["ok"],
                   "properties": {"ok": {"const": True}}},
            "Erreur": {"type": "object", "required": ["erreur"],
                       "properties": {"erreur": {"type": "string"}}},
            "ErreurFormulaire": {"type": "object", "required": ["erreur", "champs"],
                                 "properties": {
                                     "erreur": {"type": "string"},
                                     "champs": {"type": "object", "additionalProperties": {
                                         "type": "string"}}}},
        },
    },
}


@bp.get("/openapi.json")
@any_user
def contrat():
    return jsonify(DOCUMENT)
