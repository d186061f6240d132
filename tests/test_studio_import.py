"""Studio import of a single diagram: any file name (stored under a safe one, said in French),
a refused diagram kept as a draft that opens in the editor with its errors, and a clear French
message — never a 500 — for anything that is not a diagram."""
from __future__ import annotations

import html
import io
import json
import struct
import zipfile

import pytest
from sqlalchemy import select

from app.models import AuditLog

from .conftest import deploy_folder, login

VALID_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  id="Definitions_commande" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="commande_v2" name="Commande v2" isExecutable="true">
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calcul" name="Calculer">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>total = 2 * 21</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="calcul" />
    <bpmn:sequenceFlow id="f2" sourceRef="calcul" targetRef="fin" />
  </bpmn:process>
</bpmn:definitions>
"""

# A user task in a lane the platform does not know yet: refused until its lane is mapped.
REFUSED_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="Definitions_avis" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="avis_externe" name="Avis externe" isExecutable="true">
    <bpmn:laneSet id="LaneSet_avis">
      <bpmn:lane id="Lane_equipe" name="Équipe de relecture">
        <bpmn:flowNodeRef>debut</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>relire</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="relire" name="Relire le dossier">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="relire" />
    <bpmn:sequenceFlow id="f2" sourceRef="relire" targetRef="fin" />
  </bpmn:process>
</bpmn:definitions>
"""

VALID_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_seuil"
  name="Seuil" namespace="http://invalidite.demo/dmn">
  <decision id="seuil_v2" name="Seuil">
    <decisionTable id="Table_seuil_v2" hitPolicy="FIRST">
      <input id="Input_seuil" label="Montant">
        <inputExpression id="InputExpression_seuil" typeRef="integer"><text>montant</text></inputExpression>
      </input>
      <output id="Output_seuil" label="Grand" name="grand" typeRef="boolean" />
      <rule id="Rule_seuil_1">
        <inputEntry id="InputEntry_seuil_1"><text>&gt; 100</text></inputEntry>
        <outputEntry id="OutputEntry_seuil_1"><text>True</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

CAMUNDA_BPMN = VALID_BPMN.replace(
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"',
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"').replace(
    '<bpmn:scriptTask id="calcul" name="Calculer">',
    '<bpmn:scriptTask id="calcul" name="Calculer" camunda:asyncBefore="true">')


@pytest.fixture
def analyste(app, client, users, folders, session_factory):
    app.config.update(PROCESSES_DIR=folders[0], FORMS_DIR=folders[1])
    deploy_folder(session_factory, *folders)
    assert login(client, "analyste").status_code == 302
    return client


def upload(client, name: str, content: bytes | str, field: str = "fichier"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/studio/import", data={field: (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def flashed(client, response) -> str:
    assert response.status_code in (302, 303), response.status_code
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def audit_rows(session_factory, action: str) -> list[AuditLog]:
    with session_factory() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def editor_config(page: str) -> dict:
    return json.loads(page.split('id="studio-config">')[1].split("</script>")[0])


def test_a_single_bpmn_with_dots_in_its_name_is_saved_under_that_name(analyste, folders,
                                                                      session_factory):
    response = upload(analyste, "commande.v2.bpmn", VALID_BPMN)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/studio/bpmn/commande.v2.bpmn")
    assert (folders[0] / "commande.v2.bpmn").read_text() == VALID_BPMN
    page = analyste.get(response.headers["Location"]).get_data(as_text=True)
    assert "« commande.v2.bpmn » a été enregistré" in page
    assert editor_config(page)["xml"] == VALID_BPMN
    (row,) = audit_rows(session_factory, "studio_import_fichier")
    assert "commande.v2.bpmn" in row.details["fichiers"]
    assert "commande.v2.bpmn" in analyste.get("/studio/").get_data(as_text=True)


def test_an_odd_file_name_is_normalised_and_the_stored_name_is_said(analyste, folders):
    response = upload(analyste, "Mes documents/Règles (version 2).final.dmn", VALID_DMN)
    page = flashed(analyste, response)
    stored = "Regles_version_2.final.dmn"
    assert (folders[0] / stored).read_text() == VALID_DMN
    assert f"enregistré sous « {stored} »" in page
    assert "Règles (version 2).final.dmn" in page
    assert response.headers["Location"].endswith(f"/studio/dmn/{stored}")
    response = upload(analyste, "../../etc/processus flowable.bpmn20.xml", VALID_BPMN)
    assert (folders[0] / "processus_flowable.bpmn").is_file()
    assert not list(folders[0].parent.glob("etc*"))


def test_a_refused_diagram_is_kept_as_a_draft_that_opens_in_the_editor(analyste, folders,
                                                                       session_factory):
    response = upload(analyste, "avis.externe.bpmn", REFUSED_BPMN)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "gardé en brouillon" in page and "Équipe de relecture" in page
    assert "relire" in page  # the element to fix
    assert not (folders[0] / "avis.externe.bpmn").exists()  # the folder stays deployable
    assert (folders[0] / "avis.externe.bpmn.brouillon").read_text() == REFUSED_BPMN
    (row,) = audit_rows(session_factory, "studio_import_fichier")
    assert row.details["brouillon"] is True

    editor = analyste.get("/studio/bpmn/avis.externe.bpmn")
    assert editor.status_code == 200
    text = editor.get_data(as_text=True)
    assert "Brouillon non déployable" in text and "Équipe de relecture" in text
    config = editor_config(text)
    assert config["xml"] == REFUSED_BPMN and config["draft"] is True
    assert config["draftErrors"][0]["element"] == "relire"

    index = analyste.get("/studio/").get_data(as_text=True)
    assert "avis.externe.bpmn" in index and "brouillon à corriger" in index
    assert "/studio/couloirs/avis.externe.bpmn" in index
    preview = analyste.get("/studio/deployer").get_data(as_text=True)
    assert "avis.externe" not in preview  # a draft is never deployed


def test_saving_a_fixed_draft_writes_the_file_and_ends_the_draft(analyste, folders):
    upload(analyste, "avis.externe.bpmn", REFUSED_BPMN)
    fixed = REFUSED_BPMN.replace("Équipe de relecture", "Service Invalidité")
    response = analyste.post("/studio/fichiers/avis.externe.bpmn", json={"contenu": fixed})
    assert response.status_code == 200 and response.json["ok"]
    assert (folders[0] / "avis.externe.bpmn").read_text() == fixed
    assert not (folders[0] / "avis.externe.bpmn.brouillon").exists()
    page = analyste.get("/studio/bpmn/avis.externe.bpmn").get_data(as_text=True)
    assert "Brouillon non déployable" not in page


def test_a_draft_can_be_dropped(analyste, folders, session_factory):
    upload(analyste, "avis.bpmn", REFUSED_BPMN)
    response = analyste.post("/studio/brouillons/avis.bpmn/abandonner")
    assert response.status_code == 303
    assert not (folders[0] / "avis.bpmn.brouillon").exists()
    assert analyste.get("/studio/bpmn/avis.bpmn").status_code == 404
    assert audit_rows(session_factory, "studio_brouillon_abandonne")
    assert analyste.post("/studio/brouillons/avis.bpmn/abandonner").status_code == 404


def test_a_refused_upload_never_replaces_a_saved_diagram(analyste, folders):
    original = (folders[0] / "petit_processus.bpmn").read_text()
    broken = original.replace("double = montant * 2", "import os")
    assert upload(analyste, "petit_processus.bpmn", broken).status_code == 422
    assert (folders[0] / "petit_processus.bpmn").read_text() == original
    assert (folders[0] / "petit_processus.bpmn.brouillon").read_text() == broken
    assert editor_config(analyste.get("/studio/bpmn/petit_processus.bpmn")
                         .get_data(as_text=True))["xml"] == broken


def test_camunda_attributes_are_explained_on_the_result_page(analyste, folders):
    response = upload(analyste, "commande.camunda.bpmn", CAMUNDA_BPMN)
    page = response.get_data(as_text=True)
    if response.status_code == 200:  # saved, with the notes
        assert (folders[0] / "commande.camunda.bpmn").is_file()
    else:  # once the Camunda notes block validation: kept as a draft
        assert response.status_code == 422
    assert "« Calculer » (calcul)" in page and "camunda:asyncBefore" in page
    assert "enregistré" in page


@pytest.mark.parametrize(("name", "content", "message"), [
    ("notes.txt", b"bonjour", "n'est ni un diagramme .bpmn"),
    ("diagramme", b"<x/>", "n'est ni un diagramme .bpmn"),
    ("vide.bpmn", b"", "est vide"),
    ("blanc.dmn", b"  \n ", "est vide"),
    ("texte.bpmn", b"ceci n'est pas du XML", "n'est pas un XML lisible"),
    ("coupe.bpmn", VALID_BPMN[:300].encode(), "n'est pas un XML lisible"),
    ("binaire.bpmn", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "n'est pas du texte UTF-8"),
    ("table.bpmn", VALID_DMN.encode(), "pas un diagramme BPMN"),
    ("processus.dmn", VALID_BPMN.encode(), "pas une table de décision DMN"),
    ("page.bpmn", b"<html><body>x</body></html>", "pas un diagramme BPMN"),
    ("lol.bpmn", b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;</l>',
     "DOCTYPE"),
    ("gros.bpmn", b"<a>" + b" " * (3 * 1024 * 1024) + b"</a>", "dépasse 2 Mo"),
])
def test_what_is_not_a_diagram_gets_a_clear_french_message(analyste, folders, name, content,
                                                           message):
    before = sorted(p.name for p in folders[0].iterdir())
    response = upload(analyste, name, content)
    assert response.status_code == 303
    page = flashed(analyste, response)
    assert message in page
    assert sorted(p.name for p in folders[0].iterdir()) == before


def test_no_file_and_a_request_too_big_for_the_server_are_answered_in_french(analyste):
    response = analyste.post("/studio/import", data={}, content_type="multipart/form-data")
    assert "Choisissez l'archive zip ou le diagramme" in flashed(analyste, response)
    response = upload(analyste, "enorme.bpmn", b"<a>" + b" " * (5 * 1024 * 1024) + b"</a>")
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lying_zip() -> bytes:
    """A 3 Mo entry whose headers claim 100 bytes (a classic zip bomb trick)."""
    data = bytearray(zip_bytes({"processes/bombe.bpmn": b"<a>" + b"0" * 3_000_000 + b"</a>"}))
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 100)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    return bytes(data)


@pytest.mark.parametrize(("archive", "message"), [
    (zip_bytes({"processes/bombe.bpmn": b"<a>" + b"0" * (10 * 1024 * 1024) + b"</a>"}),
     "dépasse 2 Mo"),
    (zip_bytes({f"forms/f{i}.json": b" " * (1900 * 1024) for i in range(12)}),
     "dépasse 20 Mo"),
    (lying_zip(), "illisible dans l'archive"),
    (b"PK\x03\x04 pas vraiment un zip", "n'est pas une archive zip"),
])
def test_zip_bombs_and_broken_archives_are_refused_in_french(analyste, folders, archive,
                                                             message):
    before = sorted(p.name for p in folders[0].iterdir())
    response = upload(analyste, "archive.zip", archive)
    assert response.status_code == 303
    assert message in flashed(analyste, response)
    assert sorted(p.name for p in folders[0].iterdir()) == before


def test_a_refused_zip_import_keeps_its_changed_files_as_drafts(analyste, folders):
    original = (folders[0] / "petit_processus.bpmn").read_text()
    broken = original.replace("double = montant * 2", "import os")
    response = upload(analyste, "export.zip", zip_bytes({
        "processes/petit_processus.bpmn": broken.encode(),
        "processes/commande.v2.bpmn": VALID_BPMN.encode()}), field="archive")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Aucun fichier n'a été écrit" in page and "calcul" in page
    assert "/studio/bpmn/commande.v2.bpmn" in page
    assert (folders[0] / "petit_processus.bpmn").read_text() == original
    assert not (folders[0] / "commande.v2.bpmn").exists()
    assert (folders[0] / "petit_processus.bpmn.brouillon").read_text() == broken
