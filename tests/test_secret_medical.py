"""Secret médical across features: once the médecin-conseil has examined the assuré, the
exam notes appear only to médecins-conseils — never in supervision, nor in the assuré's or
agent's pages."""
from __future__ import annotations

from .conftest import html, login
from .test_instruction_outils import dossier, dossier_recu, jusqu_a_la_decision

SECRET = "NOTE-SECRETE-XYZ"


def examined(web, users, session_factory) -> int:
    instance_id = dossier_recu(web, users)
    jusqu_a_la_decision(web, session_factory, instance_id, users, categorie=2)
    return instance_id


def test_superviseur_instance_view_hides_the_exam_notes(client, web, users,
                                                        session_factory):
    instance_id = examined(web, users, session_factory)
    login(client, "superviseur")
    page = html(client.get(f"/supervision/instances/{instance_id}"))
    assert SECRET not in page and "Lombalgie" not in page
    assert "notes_medicales" in page  # named as hidden, value withheld


def test_assure_dossier_page_does_not_show_the_exam_notes(client, web, users,
                                                          session_factory):
    instance_id = examined(web, users, session_factory)
    login(client, "marie.durand")
    page = html(client.get(f"/assure/dossiers/{dossier(session_factory, instance_id).numero}"))
    assert SECRET not in page and "Lombalgie" not in page
