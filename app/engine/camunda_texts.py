"""The French texts of `camunda.explain_camunda`: for each Camunda 7 (`camunda:`) attribute
or extension element and each Camunda 8 (`zeebe:`) extension element, what it means in
Camunda and what happens here / what to write instead.

Data only: kept apart so the explaining code stays short.
"""

KINDS = {
    "process": "Processus", "userTask": "Tâche utilisateur", "manualTask": "Tâche manuelle",
    "serviceTask": "Tâche de service", "sendTask": "Tâche d'envoi",
    "receiveTask": "Tâche de réception", "scriptTask": "Tâche de script",
    "businessRuleTask": "Tâche de règle métier", "callActivity": "Activité d'appel",
    "subProcess": "Sous-processus", "task": "Tâche", "startEvent": "Événement de début",
    "endEvent": "Événement de fin", "intermediateCatchEvent": "Événement intermédiaire",
    "intermediateThrowEvent": "Événement intermédiaire", "boundaryEvent": "Événement de bord",
    "sequenceFlow": "Flux", "exclusiveGateway": "Branchement exclusif",
    "inclusiveGateway": "Branchement inclusif", "parallelGateway": "Branchement parallèle",
    "message": "Message", "decision": "Décision", "definitions": "Fichier",
}

LANE = ("placez la tâche dans un couloir (lane) associé au bon rôle — écran « Couloirs et "
        "rôles » du studio — : la tâche va dans la corbeille de ce rôle")
FORM = ("le formulaire d'une tâche utilisateur est ici un JSON Schema de forms/ : ajoutez à la "
        "tâche <spiffworkflow:properties><spiffworkflow:property "
        "name=\"formJsonSchemaFilename\" value=\"mon_formulaire.json\" />"
        "</spiffworkflow:properties> (champ « Formulaire » de l'éditeur)")
SCRIPT = ("faites le travail dans une tâche de script avec un script Python (par ex. "
          "`total = montant * 2`), ou dans une tâche de règle métier reliée à une table DMN")
NOTHING = "la tâche ne fait rien ici (elle se termine aussitôt, sans rien calculer ni envoyer)"
DECISION = ("indiquez la table dans une tâche de règle métier avec "
            "<spiffworkflow:calledDecisionId>id_de_la_decision</spiffworkflow:calledDecisionId> "
            "(champ « Décision » de l'éditeur) ; les sorties de la table deviennent des "
            "variables du dossier")
USELESS = "supprimez-le : il n'a aucun effet ici"

# Camunda 7 attributes: what they mean in Camunda → what happens here and what to write.
CAMUNDA_ATTRIBUTES = {
    "assignee": ("désigne la personne à qui Camunda attribue la tâche",
                 f"ignoré ici ; {LANE}"),
    "candidateUsers": ("liste les personnes qui peuvent prendre la tâche",
                       f"ignoré ici ; {LANE}"),
    "candidateGroups": ("liste les groupes qui peuvent prendre la tâche",
                        f"ignoré ici ; {LANE}"),
    "dueDate": ("fixe l'échéance de la tâche dans la Tasklist",
                ("ignoré ici : les échéances du dossier sont des minuteurs (événements de bord "
                "minuteur) dans le diagramme")),
    "followUpDate": ("fixe une date de relance dans la Tasklist",
                     "ignoré ici : utilisez un événement de bord minuteur non interruptif"),
    "priority": ("fixe la priorité de la tâche dans la Tasklist", f"ignoré ici ; {USELESS}"),
    "formKey": ("désigne le formulaire Camunda (page embarquée ou formulaire déployé)",
                f"ignoré ici ; {FORM}"),
    "formRef": ("désigne un formulaire Camunda Forms déployé", f"ignoré ici ; {FORM}"),
    "formRefBinding": ("choisit la version du formulaire Camunda Forms",
                       f"ignoré ici ; {FORM}"),
    "formRefVersion": ("choisit la version du formulaire Camunda Forms",
                       f"ignoré ici ; {FORM}"),
    "class": ("appelle une classe Java (JavaDelegate) quand la tâche s'exécute",
              f"aucun code Java n'est exécuté : {NOTHING} ; {SCRIPT}"),
    "delegateExpression": ("désigne un objet Java (bean) qui exécute la tâche",
                           f"rien n'est appelé : {NOTHING} ; {SCRIPT}"),
    "expression": ("évalue une expression JUEL (souvent un appel de méthode Java)",
                   f"l'expression n'est pas évaluée : {NOTHING} ; {SCRIPT}"),
    "type": ("confie la tâche à un « external task worker » (programme extérieur)",
             f"aucun worker ne la prendra : {NOTHING} ; {SCRIPT}"),
    "topic": ("nomme le sujet que le worker externe surveille",
              f"aucun worker ne la prendra : {NOTHING} ; {SCRIPT}"),
    "taskPriority": ("fixe la priorité du job externe", f"ignoré ici ; {USELESS}"),
    "asyncBefore": ("crée un point de sauvegarde (job asynchrone) avant l'élément",
                    ("inutile ici : l'état du dossier est enregistré après chaque étape ; "
                    "supprimez-le")),
    "asyncAfter": ("crée un point de sauvegarde (job asynchrone) après l'élément",
                   ("inutile ici : l'état du dossier est enregistré après chaque étape ; "
                   "supprimez-le")),
    "exclusive": ("règle l'exécution exclusive des jobs asynchrones", f"ignoré ici ; {USELESS}"),
    "jobPriority": ("fixe la priorité des jobs asynchrones", f"ignoré ici ; {USELESS}"),
    "resultVariable": (("range le résultat (d'un script, d'une expression ou d'une décision) "
                       "dans une variable"),
                       ("ignoré ici : dans une tâche de script, affectez la variable dans le "
                       "script Python (`resultat = …`) ; dans une tâche de règle métier, les "
                       "colonnes de sortie de la table DMN deviennent des variables")),
    "mapDecisionResult": (("choisit la forme du résultat de la décision (singleEntry, "
                          "collectEntries…)"),
                          ("ignoré ici : les colonnes de sortie de la table DMN deviennent "
                          "des variables ; supprimez-le")),
    "decisionRef": ("appelle la table de décision DMN de cet id", f"ignoré ici ; {DECISION}"),
    "decisionRefBinding": ("choisit la version de la décision appelée",
                           (f"ignoré ici : la version de la table est celle déployée avec le "
                           f"diagramme ; {DECISION}")),
    "decisionRefVersion": ("choisit la version de la décision appelée",
                           ("ignoré ici : la version de la table est celle déployée avec le "
                           "diagramme ; supprimez-le")),
    "calledElementBinding": (("choisit quelle version du processus appelé utiliser (latest, "
                             "deployment, version…)"),
                             ("ignoré ici : l'activité d'appel utilise le processus nommé dans "
                             "son attribut calledElement, dans la version déployée avec le "
                             "diagramme ; supprimez-le")),
    "calledElementVersion": ("fixe la version du processus appelé",
                             ("ignoré ici : la version est celle déployée avec le diagramme ; "
                             "supprimez-le")),
    "calledElementVersionTag": ("fixe l'étiquette de version du processus appelé",
                                ("ignoré ici : la version est celle déployée avec le diagramme ; "
                                "supprimez-le")),
    "calledElementTenantId": ("choisit le locataire (tenant) du processus appelé",
                              f"ignoré ici ; {USELESS}"),
    "caseRef": ("appelle un dossier CMMN", ("CMMN n'existe pas ici ; utilisez une activité "
                "d'appel vers un processus BPMN")),
    "historyTimeToLive": ("fixe la durée de conservation de l'historique",
                          ("ignoré ici : la conservation suit les règles de la plateforme ; "
                          "supprimez-le")),
    "versionTag": ("étiquette la version du processus ou de la décision",
                   ("ignoré ici : chaque déploiement depuis le studio donne un numéro de "
                   "version ; supprimez-le")),
    "isStartableInTasklist": ("permet de démarrer le processus depuis la Tasklist",
                              ("ignoré ici : les dossiers sont démarrés par la plateforme "
                              "(demande de l'assuré, agent) ; supprimez-le")),
    "candidateStarterGroups": ("liste les groupes qui peuvent démarrer le processus",
                               ("ignoré ici : les droits de démarrage sont ceux des rôles de la "
                               "plateforme ; supprimez-le")),
    "candidateStarterUsers": ("liste les personnes qui peuvent démarrer le processus",
                              ("ignoré ici : les droits de démarrage sont ceux des rôles de la "
                              "plateforme ; supprimez-le")),
    "initiator": ("range l'identifiant de la personne qui démarre le processus",
                  ("ignoré ici : la personne qui a fait la demande est connue du dossier ; "
                  "supprimez-le")),
    "resource": ("charge le script depuis un fichier externe",
                 "ignoré ici : écrivez le script Python dans la tâche elle-même"),
    "errorCodeVariable": ("range le code de l'erreur attrapée", f"ignoré ici ; {USELESS}"),
    "errorMessageVariable": ("range le message de l'erreur attrapée",
                             f"ignoré ici ; {USELESS}"),
    "inputVariable": ("renomme la valeur d'entrée d'une table DMN",
                      ("ignoré ici : les règles de la table utilisent directement les noms "
                      "de variables du dossier")),
}

# Camunda 7 extension elements (inside bpmn:extensionElements).
CAMUNDA_ELEMENTS = {
    "inputOutput": (("définit des paramètres d'entrée et de sortie (inputParameter, "
                    "outputParameter) calculés par Camunda"),
                    ("ignoré ici : la tâche voit toutes les variables du dossier ; s'il faut "
                    "un calcul, écrivez-le en Python dans un pré-script ou un post-script de "
                    "la tâche (spiffworkflow:preScript / postScript), par ex. "
                    "`montant_net = montant - retenue`")),
    "in": ("passe des variables au processus appelé",
           ("ignoré ici : le processus appelé reçoit toutes les variables du processus appelant "
           "et les rend à la fin ; supprimez-le (ou préparez les variables dans un script)")),
    "out": ("récupère des variables du processus appelé",
            ("ignoré ici : les variables du processus appelé reviennent d'elles-mêmes à la fin "
            "; supprimez-le")),
    "properties": ("ajoute des propriétés Camunda (camunda:property) à l'élément",
                   ("ignorées ici ; les propriétés utiles s'écrivent <spiffworkflow:properties>"
                   "<spiffworkflow:property name=\"…\" value=\"…\" /></spiffworkflow:properties>"
                   " (formJsonSchemaFilename sur une tâche utilisateur, role sur un couloir)")),
    "executionListener": (("exécute du code Java, une expression ou un script quand l'élément "
                          "démarre ou se termine"),
                          ("rien n'est exécuté ici ; mettez ce code en Python dans un "
                          "pré-script ou un post-script de la tâche (spiffworkflow:preScript /"
                          " postScript), ou dans une tâche de script")),
    "taskListener": (("exécute du code quand la tâche utilisateur est créée, attribuée ou "
                     "terminée"),
                     ("rien n'est exécuté ici ; mettez ce code en Python dans un pré-script ou "
                     "un post-script de la tâche (spiffworkflow:preScript / postScript)")),
    "formData": ("décrit un formulaire généré par Camunda (camunda:formField)",
                 f"ignoré ici ; décrivez les champs dans un JSON Schema : {FORM}"),
    "field": ("injecte une valeur dans la classe Java de la tâche",
              f"ignoré ici : aucune classe Java n'est appelée ; {SCRIPT}"),
    "connector": ("appelle un connecteur Camunda (HTTP, mail…)",
                  f"aucun connecteur n'est appelé : {NOTHING} ; {SCRIPT}"),
    "failedJobRetryTimeCycle": ("fixe les nouvelles tentatives d'un job en échec",
                                ("ignoré ici : une étape en erreur apparaît en incident dans "
                                "la supervision ; supprimez-le")),
    "errorEventDefinition": ("transforme une erreur de worker externe en erreur BPMN",
                             f"ignoré ici ; {USELESS}"),
}

# Camunda 8 (Zeebe) extension elements.
ZEEBE_ELEMENTS = {
    "taskDefinition": (("confie la tâche à un « job worker » Camunda 8 qui surveille ce type "
                       "de job"), f"aucun worker ne la prendra : {NOTHING} ; {SCRIPT}"),
    "taskHeaders": ("transmet des en-têtes (clé, valeur) au job worker",
                    ("ignorés ici : aucun worker n'est appelé ; mettez ces valeurs dans le "
                    "script Python de la tâche")),
    "ioMapping": ("calcule des entrées et sorties en FEEL (zeebe:input, zeebe:output)",
                  ("ignoré ici : la tâche voit toutes les variables du dossier ; écrivez les "
                  "calculs en Python dans un pré-script ou un post-script de la tâche, par ex. "
                  "`total = montant * 2` au lieu de source « = montant * 2 » target « total »")),
    "formDefinition": ("relie la tâche utilisateur à un formulaire Camunda Forms",
                       f"ignoré ici ; {FORM}"),
    "userTaskForm": ("embarque un formulaire Camunda Forms dans le diagramme",
                     f"ignoré ici ; {FORM}"),
    "assignmentDefinition": ("attribue la tâche à une personne ou à des groupes candidats",
                             f"ignoré ici ; {LANE}"),
    "taskSchedule": ("fixe l'échéance ou la date de relance de la tâche",
                     ("ignoré ici : les échéances du dossier sont des minuteurs (événements de "
                     "bord minuteur) dans le diagramme")),
    "priorityDefinition": ("fixe la priorité de la tâche", f"ignoré ici ; {USELESS}"),
    "userTask": ("demande une tâche utilisateur gérée par Camunda 8",
                 ("ignoré ici : toute tâche utilisateur va dans la corbeille du rôle de son "
                 "couloir ; supprimez-le")),
    "calledElement": ("nomme le processus appelé (processId) et la transmission des variables",
                      ("ignoré ici : écrivez l'id du processus appelé dans l'attribut "
                      "calledElement de l'activité d'appel, par ex. "
                      "<bpmn:callActivity calledElement=\"mon_sous_processus\"> ; toutes les "
                      "variables sont transmises et reviennent à la fin")),
    "calledDecision": (("appelle une table de décision DMN (decisionId) et range son résultat "
                       "(resultVariable)"), f"ignoré ici ; {DECISION}"),
    "subscription": (("relie le message au bon processus avec une clé de corrélation FEEL "
                     "(correlationKey)"),
                     ("ignorée ici : un message est remis au dossier qui l'attend ; supprimez "
                     "la clé")),
    "script": ("exécute une expression FEEL et range son résultat (resultVariable)",
               ("l'expression FEEL n'est pas exécutée ici ; écrivez un script Python dans la "
               "tâche de script, par ex. `total = montant * 2`")),
    "properties": ("ajoute des propriétés Zeebe (zeebe:property) à l'élément",
                   ("ignorées ici ; les propriétés utiles s'écrivent <spiffworkflow:properties>"
                   "<spiffworkflow:property name=\"…\" value=\"…\" /></spiffworkflow:properties>")),
    "executionListeners": ("lance un job worker quand l'élément démarre ou se termine",
                           ("rien n'est exécuté ici ; mettez ce code en Python dans un "
                           "pré-script ou un post-script de la tâche")),
    "taskListeners": ("lance un job worker quand la tâche utilisateur change d'état",
                      ("rien n'est exécuté ici ; mettez ce code en Python dans un pré-script "
                      "ou un post-script de la tâche")),
    "loopCharacteristics": ("répète l'activité sur une collection donnée en FEEL",
                            ("ignoré ici ; utilisez les caractéristiques de boucle BPMN avec "
                            "une collection Python (bpmn:multiInstanceLoopCharacteristics)")),
    "versionTag": ("étiquette la version du processus (Camunda 8)",
                   ("ignoré ici : chaque déploiement depuis le studio donne un numéro de "
                   "version ; supprimez-le")),
    "linkedResources": ("relie des ressources (formulaires, RPA…) à la tâche",
                        f"ignorées ici ; {USELESS}"),
    "adHoc": ("configure un sous-processus ad hoc Camunda 8", f"ignoré ici ; {USELESS}"),
}
