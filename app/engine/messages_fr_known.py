"""The English messages of SpiffWorkflow, lxml (XML syntax, XSD validation) and jsonschema
that we know, each with its French and what to do.

Patterns are matched on the cleaned text (`clean`: no object reprs, short tag names, one
line); `messages_fr.translate` and `messages_fr.explain` use the table.
"""
from __future__ import annotations

import re

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NAMESPACES = {
    BPMN_NS: "bpmn",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow",
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
}

_REPR = re.compile(r"<[A-Za-z_][\w.]*(?: [^<>]*?)? at 0x[0-9a-fA-F]+>")
_CLARK = re.compile(r"\{([^}]*)\}([A-Za-z_][\w.-]*)")
_BLANKS = re.compile(r"\s+")


def _short_tag(match: re.Match) -> str:
    prefix = _NAMESPACES.get(match.group(1))
    return f"{prefix}:{match.group(2)}" if prefix else match.group(2)


def clean(text: str, limit: int = 300) -> str:
    """The message without object reprs, with short tag names, on one line, bounded."""
    text = _REPR.sub("(élément XML)", str(text))
    text = _CLARK.sub(_short_tag, text)
    text = _BLANKS.sub(" ", text).strip().rstrip(". ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _g(match: re.Match, index: int) -> str:
    return clean(match.group(index) or "")


# (pattern on the cleaned English text, French builder). The first match wins.
KNOWN: list[tuple[re.Pattern, object]] = [(re.compile(p, re.DOTALL | re.IGNORECASE), f) for p, f in [
    # --- SpiffWorkflow BPMN parser
    (r"A Service Task must have an operator",
     lambda m: "tâche de service sans opérateur : la plateforme n'appelle aucun service "
               "externe. Remplacez-la par une tâche de script (calcul en Python) ou une tâche "
               "utilisateur"),
    (r"Process (\S+) is not executable",
     lambda m: f"le processus « {_g(m, 1)} » est marqué non exécutable "
               "(isExecutable=\"false\") : cochez « Exécutable » pour le déployer"),
    (r"No start event found",
     lambda m: "aucun événement de début : ajoutez un événement de début relié à la suite "
               "du processus"),
    (r"There is no support implemented for this task type",
     lambda m: "ce type d'élément n'est pas pris en charge par le moteur : remplacez-le "
               "(tâche, passerelle exclusive/parallèle/inclusive, événement standard)"),
    (r"Cannot resolve data(Input|Output)Association(.*)",
     lambda m: "association de données "
               + ("entrante" if m.group(1) == "Input" else "sortante")
               + " impossible à résoudre : elle doit relier un objet de données "
                 "(dataObjectReference) déclaré dans le même processus ; les magasins de "
                 "données (dataStore) ne sont pas pris en charge"),
    (r"Data Store with name (.*) has no implementation",
     lambda m: f"le magasin de données « {_g(m, 1)} » n'est pas pris en charge : "
               "remplacez-le par un objet de données ou retirez-le"),
    (r"Data Store (identifier|name) is missing",
     lambda m: "magasin de données sans identifiant ou sans nom : les magasins de données "
               "ne sont pas pris en charge, retirez-le"),
    (r"Non-default exclusive outgoing sequence flow without condition",
     lambda m: "une flèche sortante de la passerelle n'a ni condition ni statut de flèche "
               "par défaut : ajoutez une condition Python ou marquez-la « par défaut »"),
    (r"Multiple outgoing flows are not supported for tasks",
     lambda m: "plusieurs flèches sortent de cet élément : ajoutez une passerelle "
               "(parallèle pour tout faire, exclusive pour choisir)"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     lambda m: f"le sous-processus doit avoir exactement un événement de début "
               f"({m.group(1)} trouvé(s))"),
    (r"A SubWorkflow Must contain an End event",
     lambda m: "le sous-processus doit contenir un événement de fin"),
    (r'No "calledElement" attribute for Call Activity',
     lambda m: "l'activité d'appel n'indique pas le processus appelé (calledElement)"),
    (r"The process '([^']*)' was not found",
     lambda m: f"le processus appelé « {_g(m, 1)} » n'existe dans aucun fichier BPMN "
               "déployé avec celui-ci : ajoutez son fichier ou corrigez calledElement"),
    (r"Duplicate process ID: (\S+)",
     lambda m: f"l'identifiant de processus « {_g(m, 1)} » est déjà utilisé par un autre "
               "processus : renommez l'un des deux"),
    (r"No DMN Diagram available with id \"?([^\",]*)\"?",
     lambda m: f"la décision appelée « {_g(m, 1) or 'aucune'} » n'existe dans aucun fichier "
               "DMN : indiquez l'id d'une décision (spiffworkflow:calledDecisionId)"),
    (r"Unknown Time Specification",
     lambda m: "minuteur sans date, durée ni cycle : renseignez l'un des trois"),
    (r"Time Specification Error\.?(.*)",
     lambda m: f"expression du minuteur illisible ({_g(m, 1)}) : écrivez-la en Python entre "
               "guillemets, par exemple \"P2D\""),
    (r"Conditional event definition with missing condition",
     lambda m: "événement conditionnel sans condition : ajoutez une condition Python"),
    (r"Cancel Events may only be used with transactions",
     lambda m: "un événement d'annulation ne peut être attaché qu'à une transaction"),
    (r"Could not find messageRef from message event definition",
     lambda m: "événement de message sans message associé (messageRef) : choisissez le "
               "message"),
    (r"(Message|Signal|Error|Escalation|Correlation) identifier is missing",
     lambda m: "un message, signal, erreur, escalade ou corrélation n'a pas d'identifiant (id)"),
    (r"Correlation is missing correlation property retrieval expressions: (\S+)",
     lambda m: f"la corrélation « {_g(m, 1)} » n'a pas d'expression de lecture"),
    (r"Sequential ordering for ad hoc subprocesses not supported",
     lambda m: "un sous-processus ad hoc séquentiel n'est pas pris en charge : utilisez "
               "l'ordre parallèle"),
    (r"Ad hoc subprocesses may not contain start or end events",
     lambda m: "un sous-processus ad hoc ne peut contenir ni début ni fin"),
    (r"The loop (input|output) data reference is missing from the IO specification",
     lambda m: "la boucle multi-instance désigne une donnée absente de la spécification "
               "d'entrées/sorties"),
    (r"When looking for a task spec, we found two items.*\((.*)\)",
     lambda m: f"la flèche mène à « {_g(m, 1)} », qui n'est pas un élément de ce processus "
               "(ou dont l'identifiant est en double)"),
    (r"Expected 1 result\. Received (\d+) results",
     lambda m: f"un élément unique était attendu, {m.group(1)} trouvé(s)"),
    # --- SpiffWorkflow DMN parser
    (r"Multiple decision tables are not current supported",
     lambda m: "plusieurs décisions dans un même fichier : chaque décision doit avoir un id"),
    (r"No decisions found",
     lambda m: "aucune décision dans ce fichier DMN"),
    (r"Malformed Output Expression '(.*)'\.?(.*)",
     lambda m: f"expression de sortie « {_g(m, 1)} » mal formée : écrivez une expression "
               "Python (texte entre guillemets, nombre, True/False)"),
    (r"Unknown type in decision table: (.*)",
     lambda m: f"élément inconnu dans la table de décision : {_g(m, 1)}"),
    # --- lxml: XML syntax
    (r"Opening and ending tag mismatch: ([^\s,]+) line (\d+) and ([^\s,]+)",
     lambda m: f"balise « {_g(m, 1)} » (ligne {m.group(2)}) fermée par « {_g(m, 3)} » : "
               "le XML est mal formé"),
    (r"Premature end of data in tag (\S+) line (\d+)",
     lambda m: f"fichier tronqué : la balise « {_g(m, 1)} » ouverte ligne {m.group(2)} n'est "
               "jamais fermée"),
    (r"Namespace prefix (\S+) (?:on|for) (\S+) is not defined",
     lambda m: f"le préfixe « {_g(m, 1)} » n'est pas déclaré (ajoutez xmlns:{_g(m, 1)}=… "
               "sur l'élément racine)"),
    (r"Start tag expected, '<' not found",
     lambda m: "ce n'est pas du XML : le fichier doit commencer par une balise"),
    (r"Document is empty",
     lambda m: "fichier vide"),
    (r"Extra content at the end of the document",
     lambda m: "contenu en trop après la fin du document XML"),
    (r"Attribute (\S+) redefined",
     lambda m: f"l'attribut « {_g(m, 1)} » apparaît deux fois sur le même élément"),
    (r"Couldn't find end of Start Tag (\S+)",
     lambda m: f"balise « {_g(m, 1)} » mal fermée"),
    (r"EntityRef: expecting ';'|xmlParseEntityRef: no name",
     lambda m: "caractère « & » non échappé : écrivez &amp;amp;"),
    (r"StartTag: invalid element name",
     lambda m: "nom de balise invalide (un « < » non échappé ? écrivez &amp;lt;)"),
    (r"String not closed expecting",
     lambda m: "valeur d'attribut non fermée (guillemet manquant)"),
    (r"Failed to parse QName '([^']*)'",
     lambda m: f"nom de balise ou d'attribut « {_g(m, 1)} » incomplet"),
    (r"expected '>'", lambda m: "« > » attendu : balise mal fermée"),
    ((r"Element '([^']*)', attribute '([^']*)': \[facet 'enumeration'\] The value '(.*)' is not "
     r"an element of the set \{(.*)\}"),
     lambda m: f"valeur « {_g(m, 3)} » non permise pour l'attribut {_g(m, 2)} de "
               f"« {_g(m, 1)} » (valeurs permises : {_g(m, 4)})"),
    (r"AttValue: [\"'] expected|attributes construct error",
     lambda m: "valeur d'attribut mal écrite (guillemet manquant ?)"),
    (r"Specification mandates? value for attribute (\S+)",
     lambda m: f"l'attribut « {_g(m, 1)} » n'a pas de valeur"),
    (r"Unescaped '<' not allowed in attributes values",
     lambda m: "« < » non échappé dans une valeur d'attribut : écrivez &amp;lt;"),
    # --- lxml: XSD validation
    (r"Element '([^']*)', attribute '([^']*)': The attribute '[^']*' is not allowed",
     lambda m: f"l'attribut « {_g(m, 2)} » n'est pas permis sur « {_g(m, 1)} »"),
    (r"Element '([^']*)': The attribute '([^']*)' is required but missing",
     lambda m: f"l'attribut obligatoire « {_g(m, 2)} » manque sur « {_g(m, 1)} »"),
    ((r"Element '([^']*)', attribute '([^']*)': '(.*)' is not a valid value of the "
     r"atomic type 'xs:ID'"),
     lambda m: f"« {_g(m, 3)} » n'est pas un identifiant valide (attribut {_g(m, 2)} de "
               f"« {_g(m, 1)} ») : il doit commencer par une lettre ou « _ », sans espace ni "
               "« : »"),
    ((r"Element '([^']*)', attribute '([^']*)': '(.*)' is not a valid value of the "
     r"(?:atomic|list|union) type '([^']*)'"),
     lambda m: f"valeur « {_g(m, 3)} » invalide pour l'attribut {_g(m, 2)} de « {_g(m, 1)} » "
               f"(type attendu : {_g(m, 4)})"),
    ((r"Element '([^']*)': '(.*)' is not a valid value of the (?:atomic|list|union) type "
     r"'([^']*)'"),
     lambda m: f"valeur « {_g(m, 2)} » invalide dans « {_g(m, 1)} » (type attendu : "
               f"{_g(m, 3)})"),
    (r"Element '([^']*)': Element content is not allowed",
     lambda m: f"« {_g(m, 1)} » ne doit pas contenir d'élément enfant (seulement du texte ou "
               "rien)"),
    (r"Element '([^']*)': \[facet '(\w+)'\] The value '(.*)' (.*)",
     lambda m: f"valeur « {_g(m, 3)} » non permise dans « {_g(m, 1)} »"),
    (r"Element '([^']*)': The attribute '([^']*)' is not allowed",
     lambda m: f"l'attribut « {_g(m, 2)} » n'est pas permis sur « {_g(m, 1)} »"),
    (r"Element '([^']*)': This element is not expected\. Expected is (?:one of )?\( ?(.*?) ?\)",
     lambda m: f"élément « {_g(m, 1)} » inattendu à cet endroit (attendu : {_g(m, 2)}) : "
               "vérifiez l'ordre des éléments et leur espace de noms"),
    (r"Element '([^']*)': This element is not expected",
     lambda m: f"élément « {_g(m, 1)} » inattendu à cet endroit : il n'existe pas dans la "
               "norme BPMN 2.0 ou n'est pas à sa place"),
    (r"Element '([^']*)': Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)",
     lambda m: f"il manque un élément enfant dans « {_g(m, 1)} » (attendu : {_g(m, 2)})"),
    (r"Element '([^']*)': No match found for key-sequence \['([^']*)'\] of keyref",
     lambda m: f"« {_g(m, 2)} » désigne un élément qui n'existe pas (référence dans "
               f"« {_g(m, 1)} »)"),
    (r"Element '([^']*)': Duplicate key-sequence \['([^']*)'\]",
     lambda m: f"identifiant « {_g(m, 2)} » en double (dans « {_g(m, 1)} »)"),
    (r"ID (\S+) already defined",
     lambda m: f"identifiant {_g(m, 1)} déjà utilisé par un autre élément : chaque id doit "
               "être unique"),
    (r"Element '([^']*)': No matching global declaration available for the validation root",
     lambda m: f"l'élément racine « {_g(m, 1)} » n'est pas un document BPMN 2.0 "
               "(attendu : bpmn:definitions dans l'espace de noms "
               f"{BPMN_NS})"),
    (r"Element '([^']*)': Character content other than whitespace is not allowed",
     lambda m: f"texte inattendu dans « {_g(m, 1)} »"),
    ((r"'([^']*)' is not a valid value of the atomic type 'xs:IDREF'|"
     r"IDREF attribute (\S+) references an unknown ID \"?([^\"]*)\"?"),
     lambda m: f"référence vers un identifiant inconnu « {_g(m, 3) or _g(m, 1)} »"),
    # --- JSON and JSON Schema (forms)
    (r"Expecting value", lambda m: "valeur attendue (texte entre guillemets doubles, "
                                   "nombre, true/false, objet ou liste)"),
    (r"Expecting ',' delimiter", lambda m: "virgule manquante entre deux éléments"),
    (r"Expecting ':' delimiter", lambda m: "deux-points manquant après un nom de propriété"),
    (r"Expecting property name enclosed in double quotes",
     lambda m: "nom de propriété attendu entre guillemets doubles (pas de virgule finale)"),
    (r"Unterminated string", lambda m: "texte non terminé (guillemet fermant manquant)"),
    (r"Extra data", lambda m: "contenu en trop après la fin du JSON"),
    (r"Invalid control character", lambda m: "caractère de contrôle interdit dans un texte"),
    (r"Invalid \\escape", lambda m: "séquence d'échappement « \\ » invalide"),
    (r"(.*) is not valid under any of the given schemas",
     lambda m: f"{_g(m, 1)} n'est permis par aucune des formes admises"),
    (r"(.*) is not of type (.*)",
     lambda m: f"{_g(m, 1)} n'a pas le type attendu ({_g(m, 2)})"),
    (r"(.*) is not one of (.*)",
     lambda m: f"{_g(m, 1)} n'est pas une des valeurs permises {_g(m, 2)}"),
    # --- Python errors raised while reading a diagram
    (r"KeyError\s*:?\s*'?([^']*)'?$",
     lambda m: f"attribut ou élément « {_g(m, 1)} » absent alors qu'il est requis"),
]]
