"""In a real browser: the analyst adds a sixth step to the request with the studio's panel.

Proof by change, in the browser: on a private copy of the processes and forms the live app
deploys, the analyst opens demande_pension_invalidite.bpmn in the BPMN editor, adds a user
task « Coordonnées bancaires » in the Assuré lane between the last form step and the
récapitulatif (both found by their `ecran` / `etape_ordre` properties, never by element id),
fills the panel's « Écran » section (by its controls: type, group, order, titles, form),
saves and deploys. The assurée Marie Durand then starts a request: « Étape 1 sur 6 », and the
new step is the fourth, with its title and its section in the récapitulatif.

The panel must write the properties: they are read back from the modeler and from the saved
file. Undo / redo of a panel change, the « Panneau » field shown only for ecran = panneau,
the other properties kept; the kinds offered are exactly those the deployment accepts
(screens.PAGE_KINDS, screens.PANEL_KINDS). axe-core on the editor (no serious/critical violation).
Screenshots: test-artifacts/ecrans_*.png (desktop; the panel on a 375×812 phone).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import expect

from app.engine import screens

from .browser import axe_violations, browser_login, real_app, serving, shot
from .test_ecrans_demande import BANQUE_FORM

ROOT = Path(__file__).resolve().parent.parent
DEMANDE = "demande_pension_invalidite.bpmn"
FORM = "demande_coordonnees_bancaires.json"
NAME = "Coordonnées bancaires"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
PHONE = {"width": 375, "height": 812}


# The modeler's view of the screens: a task's spiffworkflow properties, by name.
PROPS_JS = """const props = (bo) => {
  const ext = (bo.extensionElements && bo.extensionElements.values) || [];
  const found = ext.find(v => v.$type === 'spiffworkflow:Properties');
  const out = {};
  ((found && found.properties) || []).forEach(p => { out[p.name] = p.value; });
  return out;
};"""

# Adds the new user task with the modeler, found by properties: the récapitulatif of the
# « demande » journey and the last numbered form step before it; the flow that led from that
# step (directly or through its gateway) to the récapitulatif unconditionally now ends on the
# new task, which goes on to the récapitulatif.
INSERT = PROPS_JS + """
() => {
  const modeler = StudioEditor.modeler, registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling'), factory = modeler.get('elementFactory');
  const human = registry.filter(e => e.type === 'bpmn:UserTask' || e.type === 'bpmn:ManualTask');
  const demande = human.filter(e => props(e.businessObject).etape_groupe === 'demande');
  const recap = demande.find(e => props(e.businessObject).ecran === 'recapitulatif');
  const order = e => parseInt(props(e.businessObject).etape_ordre, 10);
  const last = demande.filter(e => (props(e.businessObject).ecran || 'formulaire') === 'formulaire'
                                   && order(e) < order(recap))
                      .sort((a, b) => order(b) - order(a))[0];
  // from the last step to the récapitulatif, through gateways, without a condition
  let flow = null, frontier = [last], seen = new Set();
  while (!flow && frontier.length) {
    const node = frontier.shift();
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    for (const out of node.outgoing.filter(c => c.type === 'bpmn:SequenceFlow')) {
      if (out.target === recap && !out.businessObject.conditionExpression) { flow = out; break; }
      if (out.target.type.endsWith('Gateway')) frontier.push(out.target);
    }
  }
  const lane = last.businessObject.lanes && last.businessObject.lanes[0];
  const laneShape = lane && registry.get(lane.id);
  const position = { x: recap.x + recap.width / 2, y: recap.y + recap.height + 130 };
  const task = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }), position,
                                    last.parent);
  modeling.reconnectEnd(flow, task, { x: task.x, y: task.y + task.height / 2 });
  modeling.connect(task, recap);
  modeler.get('selection').select(task);
  modeler.get('canvas').scrollToElement(task);
  return {
    task: task.id, flow: flow.id, last: last.businessObject.name, recap: recap.id,
    lastOrder: order(last), recapOrder: order(recap),
    lanes: (task.businessObject.lanes || []).map(l => l.name),
    inLane: !!laneShape && task.y >= laneShape.y && task.y + task.height <= laneShape.y + laneShape.height,
    recapProps: props(recap.businessObject),
  };
}"""

READ = PROPS_JS + """
(id) => {
  const element = StudioEditor.modeler.get('elementRegistry').get(id);
  return { name: element.businessObject.name || '', props: props(element.businessObject),
           incoming: element.incoming.map(c => c.source.businessObject.name || c.source.type),
           outgoing: element.outgoing.map(c => c.target.id) };
}"""

ID_BY_NAME = """(name) => {
  const found = StudioEditor.modeler.get('elementRegistry')
    .filter(e => e.type !== 'label' && e.businessObject && e.businessObject.name === name);
  return found.length ? found[0].id : null;
}"""


@pytest.fixture
def live_dirs(tmp_path):
    """A copy of the folders the live app deploys, with the new form written in it."""
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    (forms / FORM).write_text(json.dumps(BANQUE_FORM, ensure_ascii=False, indent=2),
                              encoding="utf-8")
    return processes, forms


@pytest.fixture
def server(database_url, tmp_path, session_factory, live_dirs):
    app = real_app(database_url, tmp_path, PROCESSES_DIR=live_dirs[0], FORMS_DIR=live_dirs[1])
    with serving(app) as url:
        yield url


def new_page(chromium, viewport=None, phone=False):
    context = chromium.new_context(locale="fr-FR", viewport=viewport or {"width": 1280, "height": 900},
                                   is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def open_editor(page, server) -> None:
    page.goto(f"{server}/studio/bpmn/{DEMANDE}")
    page.wait_for_selector("body[data-studio-ready=true]", timeout=20000)


def type_in(page, prop: str, value: str) -> None:
    """Types into a panel field and leaves it (its change event writes the property)."""
    page.fill(f"#prop-{prop}", value)
    page.press(f"#prop-{prop}", "Tab")


def read(page, element_id: str) -> dict:
    return page.evaluate(READ, element_id)


def saved_task(path: Path):
    root = etree.fromstring(path.read_bytes())
    found = root.xpath("//bpmn:userTask[@name=$n]", namespaces=NS, n=NAME)
    assert len(found) == 1, f"tâche « {NAME} » absente du fichier enregistré"
    task = found[0]
    props = {p.get("name"): p.get("value")
             for p in task.iterfind("bpmn:extensionElements/spiffworkflow:properties/"
                                    "spiffworkflow:property", NS)}
    return root, task, props


def test_the_analyst_adds_a_sixth_step_that_the_assuree_sees(chromium, server, live_dirs):
    processes = live_dirs[0]
    page = new_page(chromium)
    browser_login(page, server, "analyste")
    open_editor(page, server)
    done = page.evaluate(INSERT)
    assert done["lanes"] == ["Assuré"] and done["inLane"], done
    assert done["recapOrder"] - done["lastOrder"] >= 2, done  # room for a step between
    ordre = str((done["lastOrder"] + done["recapOrder"]) // 2)
    task = done["task"]
    page.wait_for_selector(f'.studio-panel__type:has-text("{task}")')

    # the « Écran » section of the panel, driven by its controls
    section = page.locator("#studio-ecran")
    expect(section.locator("legend")).to_have_text("Écran")
    expect(page.locator("#prop-panneau")).to_be_hidden()
    # every kind the platform accepts at deployment, and no other, is offered
    offered = page.evaluate("""(ids) => ids.map(id => Array.from(document.querySelectorAll(
        '#' + id + ' option')).map(o => o.value).filter(v => v))""", ["prop-ecran", "prop-panneau"])
    assert offered == [list(screens.PAGE_KINDS), list(screens.PANEL_KINDS)], offered
    type_in(page, "name", NAME)
    page.select_option("#prop-form", FORM)
    page.select_option("#prop-ecran", "panneau")
    expect(page.locator("#prop-panneau")).to_be_visible()  # a panel kind: shown for ecran=panneau
    assert read(page, task)["props"]["ecran"] == "panneau"
    page.select_option("#prop-ecran", "formulaire")
    type_in(page, "etape_groupe", "demande")
    type_in(page, "etape_ordre", "3.5")  # not an integer: refused, said, nothing written
    expect(page.locator("#prop-etape_ordre-erreur")).to_be_visible()
    expect(page.locator("#prop-etape_ordre")).to_have_attribute("aria-invalid", "true")
    assert "etape_ordre" not in read(page, task)["props"]
    type_in(page, "etape_ordre", ordre)
    expect(page.locator("#prop-etape_ordre-erreur")).to_be_hidden()
    type_in(page, "etape_libelle", NAME)
    type_in(page, "recap_section", "Mon compte bancaire :")
    type_in(page, "bouton_retour", "Retour")
    type_in(page, "bouton_retour", "")  # emptied: the property goes away
    expected = {"formJsonSchemaFilename": FORM, "ecran": "formulaire", "etape_groupe": "demande",
                "etape_ordre": ordre, "etape_libelle": NAME,
                "recap_section": "Mon compte bancaire :"}
    now = read(page, task)
    assert now["name"] == NAME
    assert now["props"] == expected, now
    assert now["outgoing"] == [done["recap"]]

    # undo / redo of a panel change (the panel follows)
    page.click("#btn-undo")
    assert read(page, task)["props"] == {**expected, "bouton_retour": "Retour"}
    expect(page.locator("#prop-bouton_retour")).to_have_value("Retour")
    page.click("#btn-redo")
    assert read(page, task)["props"] == expected
    expect(page.locator("#prop-bouton_retour")).to_have_value("")
    expect(page.locator("#prop-etape_ordre")).to_have_value(ordre)
    expect(page.locator("#prop-ecran")).to_have_value("formulaire")
    assert read(page, done["recap"])["props"] == done["recapProps"]  # untouched

    violations = axe_violations(page)
    assert violations == [], violations
    section.locator("legend").scroll_into_view_if_needed()
    shot(page, "ecrans_01_panneau_ecran")

    # Enregistrer: the file of the live app's copy has the step, its flows and its properties
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--ok", timeout=20000)
    root, saved, props = saved_task(processes / DEMANDE)
    assert props == expected
    incoming = root.xpath("//bpmn:sequenceFlow[@targetRef=$t]", namespaces=NS, t=saved.get("id"))
    outgoing = root.xpath("//bpmn:sequenceFlow[@sourceRef=$t]", namespaces=NS, t=saved.get("id"))
    assert len(incoming) == 1 and len(outgoing) == 1
    recap = root.xpath("//bpmn:userTask[.//spiffworkflow:property[@name='ecran' and "
                       "@value='recapitulatif']]", namespaces=NS)[0]
    assert outgoing[0].get("targetRef") == recap.get("id")
    assert page.errors == []

    # the panel on a phone
    phone = new_page(chromium, PHONE, phone=True)
    browser_login(phone, server, "analyste")
    open_editor(phone, server)
    phone.select_option("#studio-element-select", phone.evaluate(ID_BY_NAME, NAME))
    expect(phone.locator("#prop-etape_ordre")).to_have_value(ordre)
    expect(phone.locator("#prop-recap_section")).to_have_value("Mon compte bancaire :")
    phone.locator("#studio-ecran legend").scroll_into_view_if_needed()
    shot(phone, "ecrans_02_panneau_telephone")
    violations = axe_violations(phone)
    assert violations == [], violations
    assert phone.evaluate("() => document.documentElement.scrollWidth"
                          " - document.documentElement.clientWidth") <= 1
    assert phone.errors == []
    phone.context.close()

    # deploy through the studio's page
    page.click("#btn-deploy")
    page.wait_for_url("**/studio/deployer")
    assert NAME in page.inner_text("main")
    shot(page, "ecrans_03_deployer")
    if page.locator("#confirmer_roles").count():
        page.check("#confirmer_roles")
    page.click("button:has-text('Confirmer le déploiement')")
    page.wait_for_url("**/studio/")
    assert "demande_pension_invalidite version 2" in page.inner_text("main")
    page.context.close()

    # the assurée starts a request: six steps, the new one fourth
    assure = new_page(chromium)
    browser_login(assure, server, "marie.durand")
    assure.goto(f"{server}/assure/amelibot")  # the way in to the request
    assure.click("text=Lancer une conversation avec ameliBot")
    assure.fill("#f-message", "faire une demande de pension invalidité")
    assure.click("button:has-text('Envoyer')")
    assure.click("text=J'ai eu une décision du médecin conseil")
    assure.click("button[value='false']")
    assure.click("text=en cliquant ici")
    assure.click("button:has-text('Je démarre ma demande')")
    stepper = assure.locator(".fr-stepper__state")
    expect(stepper).to_have_text("Étape 1 sur 6")
    shot(assure, "ecrans_04_etape_1_sur_6")
    assure.select_option("#f-nationalite", "francaise")
    assure.click("button.fr-btn:has-text('Suivant')")
    expect(stepper).to_have_text("Étape 2 sur 6")
    assure.click("label[for='f-activites']")
    assure.click("label[for='f-salariee-plusieurs_employeurs--2']")  # Non
    assure.fill("#f-salariee-employeur_nom", "Société Lelièvre")
    assure.fill("#f-salariee-employeur_adresse", "126 rue Fernand Braudel, 75013 Paris")
    assure.fill("#f-salariee-periode-du", "01/01/2001")
    assure.fill("#f-salariee-periode-au", "31/12/2024")
    assure.click("button.fr-btn:has-text('Suivant')")
    expect(stepper).to_have_text("Étape 3 sur 6")
    assure.click("label[for='f-propositions--4']")  # Aucune de ces propositions
    assure.click("button.fr-btn:has-text('Suivant')")
    expect(stepper).to_have_text("Étape 4 sur 6")
    expect(assure.locator(".fr-stepper__title")).to_contain_text(NAME)
    assert axe_violations(assure) == []
    shot(assure, "ecrans_05_coordonnees_bancaires")
    assure.fill("#f-titulaire", "Marie Durand")
    assure.fill("#f-iban", "FR7630006000011234567890189")
    assure.click("button.fr-btn:has-text('Suivant')")
    expect(stepper).to_have_text("Étape 5 sur 6")
    expect(assure.locator("main")).to_contain_text("Mon compte bancaire :")
    expect(assure.locator("main")).to_contain_text("FR7630006000011234567890189")
    shot(assure, "ecrans_06_recapitulatif")
    assert assure.errors == []
    assure.context.close()
