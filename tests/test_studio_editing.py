"""Studio: files stay the source of truth — save (checked first), validate, diff, deploy,
export/import, forms with their live preview. Every save and deploy is audited."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from app.models import AuditLog, ProcessInstance, ProcessVersion

from .conftest import deploy_folder, login


@pytest.fixture
def analyste(app, client, users, folders, session_factory):
    """The analyst logged in; the app works on private copies of the fixture folders,
    deployed once (version 1 of each process)."""
    app.config.update(PROCESSES_DIR=folders[0], FORMS_DIR=folders[1])
    deploy_folder(session_factory, *folders)
    assert login(client, "analyste").status_code == 302
    return client


DIAGRAM = "petit_processus.bpmn"


def diagram(folders) -> str:
    return (folders[0] / DIAGRAM).read_text()


def save(client, filename, content, as_json=True):
    if as_json:
        return client.post(f"/studio/fichiers/{filename}", json={"contenu": content})
    return client.post(f"/studio/fichiers/{filename}", data={"contenu": content})


def audit_actions(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def versions(session_factory, key="petit_processus") -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(ProcessVersion.version).where(
            ProcessVersion.process_key == key).order_by(ProcessVersion.version)))


def test_index_lists_processes_versions_files_and_running_instances(analyste, runtime, users):
    runtime.start("petit_processus", user_id=users["agent.cramif"].id, caisse_code="CRAMIF")
    page = analyste.get("/studio/").get_data(as_text=True)
    assert "Petit processus" in page and "petit_formulaire.json" in page
    assert "test" in page  # deployed by
    row = page[page.index("Petit processus"):]
    assert "<td>1</td>" in row.split("</table>")[0]  # one running instance on version 1


def test_saving_an_edit_and_deploying_gives_version_2_and_leaves_running_instances(
        analyste, folders, runtime, users, session_factory):
    running = runtime.start("petit_processus", user_id=users["agent.cramif"].id,
                            caisse_code="CRAMIF")
    with session_factory() as session:
        before = session.get(ProcessInstance, running)
        before_state, before_lock = before.state, before.lock_version
    edited = diagram(folders).replace('name="Saisir un montant"', 'name="Saisir le montant"')
    response = save(analyste, DIAGRAM, edited)
    assert response.status_code == 200 and response.json["ok"]
    assert diagram(folders) == edited  # the file is the source of truth

    preview = analyste.get("/studio/deployer").get_data(as_text=True)
    assert "saisie" in preview and "Saisir un montant" in preview and "Saisir le montant" in preview
    fingerprint = preview.split('name="empreinte" value="')[1].split('"')[0]
    response = analyste.post("/studio/deployer", data={"empreinte": fingerprint})
    assert response.status_code == 303
    assert versions(session_factory) == [1, 2]
    with session_factory() as session:
        instance = session.get(ProcessInstance, running)
        assert instance.process_version.version == 1
        assert (instance.state, instance.lock_version) == (before_state, before_lock)
    assert runtime.start("petit_processus", user_id=users["agent.cramif"].id) != running
    actions = audit_actions(session_factory)
    assert "studio_enregistrement" in actions and "studio_deploiement" in actions
    with session_factory() as session:
        deployed = session.scalars(select(AuditLog).where(
            AuditLog.action == "studio_deploiement")).one()
        assert deployed.details["versions"] == {"petit_processus": 2}
        assert deployed.user_id == users["analyste"].id
        assert session.scalars(select(ProcessVersion.deployed_by).where(
            ProcessVersion.version == 2)).one() == "analyste@demo.fr"


def test_a_script_with_an_import_is_refused_with_its_element_id(analyste, folders,
                                                                session_factory):
    original = diagram(folders)
    response = save(analyste, DIAGRAM, original.replace("double = montant * 2",
                                                        "import os\ndouble = 2"))
    assert response.status_code == 422
    errors = response.json["erreurs"]
    assert [(e["fichier"], e["element"]) for e in errors] == [(DIAGRAM, "calcul")]
    assert "import" in errors[0]["message"]
    assert diagram(folders) == original
    assert "studio_enregistrement" not in audit_actions(session_factory)


def test_a_missing_form_is_refused_with_the_user_task_id(analyste, folders):
    original = diagram(folders)
    response = save(analyste, DIAGRAM, original.replace('value="petit_formulaire.json"',
                                                        'value="absent.json"'))
    assert response.status_code == 422
    (error,) = response.json["erreurs"]
    assert error["element"] == "saisie" and "absent.json" in error["message"]
    assert diagram(folders) == original


def test_a_refused_save_without_javascript_comes_back_with_the_errors(analyste, folders):
    response = save(analyste, DIAGRAM, "<pas du xml", as_json=False)
    assert response.status_code == 303
    page = analyste.get(response.headers["Location"]).get_data(as_text=True)
    assert "Enregistrement refusé" in page


def test_validate_checks_the_draft_without_saving_it(analyste, folders):
    original = diagram(folders)
    broken = original.replace("<bpmn:conditionExpression>double &gt;= 100",
                              "<bpmn:conditionExpression>open('x')")
    response = analyste.post("/studio/valider", json={"fichier": DIAGRAM, "contenu": broken})
    assert response.status_code == 200 and not response.json["ok"]
    assert response.json["erreurs"][0]["element"] == "choix"
    ok = analyste.post("/studio/valider", json={"fichier": DIAGRAM, "contenu": original})
    assert ok.json == {"ok": True, "erreurs": []}
    assert diagram(folders) == original


def test_bad_file_names_are_refused(analyste):
    assert analyste.post("/studio/fichiers/evil.py", json={"contenu": "x"}).status_code == 400
    assert analyste.get("/studio/bpmn/absent.bpmn").status_code == 404
    assert analyste.get("/studio/bpmn/petit_formulaire.json").status_code == 404
    assert analyste.post("/studio/valider", json={"fichier": "../x.bpmn",
                                                  "contenu": "x"}).status_code == 400


def test_deploy_is_refused_if_files_changed_since_the_diff_was_shown(analyste, folders,
                                                                     session_factory):
    save(analyste, DIAGRAM, diagram(folders).replace("montant * 2", "montant * 4"))
    preview = analyste.get("/studio/deployer").get_data(as_text=True)
    fingerprint = preview.split('name="empreinte" value="')[1].split('"')[0]
    save(analyste, DIAGRAM, diagram(folders).replace("montant * 4", "montant * 5"))
    response = analyste.post("/studio/deployer", data={"empreinte": fingerprint})
    assert response.status_code == 303 and response.headers["Location"].endswith("/deployer")
    assert versions(session_factory) == [1]


def test_nothing_to_deploy_says_so(analyste, session_factory):
    preview = analyste.get("/studio/deployer").get_data(as_text=True)
    assert "Aucun changement" in preview


def test_the_editor_page_carries_the_diagram_forms_and_lane_roles(analyste, folders):
    page = analyste.get(f"/studio/bpmn/{DIAGRAM}").get_data(as_text=True)
    config = json.loads(page.split('id="studio-config">')[1].split("</script>")[0])
    assert config["xml"] == diagram(folders)
    assert config["forms"] == ["petit_formulaire.json"]
    assert {"name": "Service Invalidité", "role": "agent"} in config["lanes"]
    assert "bpmn-modeler.development.js" in page


def test_export_then_import_keeps_the_folders_in_sync(analyste, folders, session_factory):
    response = analyste.get("/studio/export.zip")
    assert response.headers["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == {
        *(f"processes/{p.name}" for p in folders[0].iterdir()),
        *(f"forms/{p.name}" for p in folders[1].iterdir())}
    edited = archive.read("processes/petit_processus.bpmn").decode().replace(
        "montant * 2", "montant * 7")
    response = analyste.post("/studio/import", data={"archive": (zip_of({
        "processes/petit_processus.bpmn": edited}), "export.zip")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    assert diagram(folders) == edited
    assert "studio_import" in audit_actions(session_factory)


def zip_of(entries: dict[str, str]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def test_import_refuses_unexpected_entries_and_invalid_content(analyste, folders):
    original = diagram(folders)
    response = analyste.post("/studio/import", data={"archive": (zip_of({
        "../../etc/passwd.bpmn": "x"}), "a.zip")}, content_type="multipart/form-data")
    assert response.status_code == 303
    response = analyste.post("/studio/import", data={"archive": (zip_of({
        "processes/petit_processus.bpmn": original.replace("montant * 2", "__import__('os')")}),
        "a.zip")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "calcul" in response.get_data(as_text=True)
    response = analyste.post("/studio/import", data={"archive": (io.BytesIO(b"pas un zip"),
                                                                 "a.zip")},
                             content_type="multipart/form-data")
    assert response.status_code == 303
    assert diagram(folders) == original


def test_new_files_are_created_valid_and_open_in_their_editor(analyste, folders):
    for kind, name, extension in (("bpmn", "nouveau_parcours", "bpmn"),
                                  ("dmn", "regle_essai", "dmn"), ("form", "avis", "json")):
        response = analyste.post("/studio/nouveau", data={"type": kind, "nom": name,
                                                          "titre": "Essai"})
        assert response.status_code == 302, kind
        folder = folders[1] if kind == "form" else folders[0]
        assert (folder / f"{name}.{extension}").exists()
        assert analyste.get(response.headers["Location"]).status_code == 200
    response = analyste.post("/studio/nouveau", data={"type": "bpmn", "nom": "nouveau_parcours"})
    assert "existe déjà" in analyste.get(response.headers["Location"]).get_data(as_text=True)
    response = analyste.post("/studio/nouveau", data={"type": "bpmn", "nom": "../evil"})
    assert "refusé" in analyste.get(response.headers["Location"]).get_data(as_text=True)


# ----- forms --------------------------------------------------------------------------------
FORM = "petit_formulaire.json"


def test_form_editor_shows_the_form_as_users_see_it(analyste):
    page = analyste.get(f"/studio/formulaires/{FORM}").get_data(as_text=True)
    assert '<label class="fr-label" for="f-montant">' in page
    assert 'name="montant"' in page and "Montant" in page


def test_preview_without_javascript_renders_the_posted_text_unsaved(analyste, folders):
    text = (folders[1] / FORM).read_text().replace('"title": "Montant"',
                                                   '"title": "Montant demandé"')
    page = analyste.post(f"/studio/formulaires/{FORM}", data={
        "contenu": text, "action": "apercu"}).get_data(as_text=True)
    assert "Montant demandé" in page and "non enregistré" in page
    assert "Montant demandé" not in (folders[1] / FORM).read_text()


def test_live_preview_fragment_and_its_errors(analyste, folders):
    text = (folders[1] / FORM).read_text()
    fragment = analyste.post("/studio/formulaires/apercu", data={
        "contenu": text, "fichier": FORM}).get_data(as_text=True)
    assert 'id="f-montant"' in fragment and "<html" not in fragment
    broken = analyste.post("/studio/formulaires/apercu", data={
        "contenu": "{\"type\": "}).get_data(as_text=True)
    assert "JSON invalide ligne 1" in broken
    bad_schema = analyste.post("/studio/formulaires/apercu", data={
        "contenu": '{"type": "objet", "properties": {}}'}).get_data(as_text=True)
    assert "JSON Schema invalide" in bad_schema


def test_saving_a_form_writes_the_file_and_a_broken_one_is_refused(analyste, folders,
                                                                   session_factory):
    text = (folders[1] / FORM).read_text().replace('"maximum": 1000000', '"maximum": 5000')
    response = analyste.post(f"/studio/formulaires/{FORM}", data={"contenu": text,
                                                                  "action": "enregistrer"})
    assert response.status_code == 303
    assert (folders[1] / FORM).read_text() == text
    response = analyste.post(f"/studio/formulaires/{FORM}", data={"contenu": "{",
                                                                  "action": "enregistrer"})
    assert response.status_code == 303
    assert (folders[1] / FORM).read_text() == text
    assert audit_actions(session_factory).count("studio_enregistrement") == 1


def test_trying_the_preview_gives_the_users_french_errors(analyste):
    page = analyste.post(f"/studio/formulaires/{FORM}/essai",
                         data={"montant": "-3"}).get_data(as_text=True)
    assert "Essai de saisie : 1 erreur" in page
    assert "fr-error-text" in page


def test_deploy_diff_lists_a_form_change(analyste, folders):
    text = (folders[1] / FORM).read_text().replace('"title": "Montant"', '"title": "Somme"')
    analyste.post(f"/studio/formulaires/{FORM}", data={"contenu": text, "action": "enregistrer"})
    page = analyste.get("/studio/deployer").get_data(as_text=True)
    assert "petit_formulaire.json" in page and "Somme" in page and "montant" in page
