"""The values the `ecran` and `panneau` properties of a task may take (see screens.py).

Apart from screens.py so that the deployment checks can name them without importing the
screens machinery (which reads deployed versions).
"""
FORMULAIRE = "formulaire"
RECAPITULATIF = "recapitulatif"
DEPOT_DOCUMENT = "depot_document"
CONVERSATION = "conversation"
PANNEAU = "panneau"
PIECES = "pieces"
CONTESTATION = "contestation"
# Every value the `ecran` property may take (checked at deployment).
PAGE_KINDS = (FORMULAIRE, RECAPITULATIF, DEPOT_DOCUMENT, CONVERSATION, PANNEAU, PIECES,
              CONTESTATION)
# Every value the `panneau` property may take (the agent panels of app/web/agent/panneaux.py).
PANNEAU_VERIFICATION = "verification"
PANNEAU_CONVOCATION = "convocation_examen"
PANNEAU_EXAMEN = "examen"
PANNEAU_ATTRIBUTION = "attribution"
PANNEAU_REFUS_MEDICAL = "refus_medical"
PANNEAU_COMMISSION = "commission"
PANEL_KINDS = (PANNEAU_VERIFICATION, PANNEAU_CONVOCATION, PANNEAU_EXAMEN, PANNEAU_ATTRIBUTION,
               PANNEAU_REFUS_MEDICAL, PANNEAU_COMMISSION)
