/* The « Écran » section of the BPMN editor's panel: the `spiffworkflow:property` values of a
   user (or manual) task that say which screen shows it to the assuré or the agent — read by
   app/engine/screens.py (assuré journeys: page kind, stepper, récapitulatif, buttons) and
   app/web/agent/panneaux.py (back-office panels). Each control writes through the editor's
   setProperty (one modeling command: undo/redo), an empty value removes the property, and
   properties not listed here are kept as they are.

   The kinds of screen and of panel come from the page config when the server sends them
   (config.ecrans / config.panneaux: [{value, label}] or [[value, label]]); otherwise from the
   constants below, kept in step with screens.PAGE_KINDS and screens.PANEL_KINDS (checked by
   tests/test_browser_ecrans.py). A value the platform does not know shows « (inconnu) »: the
   deployment refuses it. */
(function () {
  'use strict';

  // Known values and their French labels (fallback when the page config does not list them).
  const ECRANS = [
    ['formulaire', 'Formulaire'],
    ['recapitulatif', 'Récapitulatif des étapes'],
    ['depot_document', 'Dépôt d\'un document (PDF)'],
    ['conversation', 'Conversation avec ameliBot'],
    ['panneau', 'Panneau d\'instruction (agent)'],
    ['pieces', 'Réponse à une demande de pièces (PDF et message)'],
    ['contestation', 'Contestation d\'une décision'],
  ];
  const PANNEAUX = [
    ['verification', 'Vérification administrative'],
    ['convocation_examen', 'Convocation à l\'examen médical'],
    ['examen', 'Examen médical'],
    ['attribution', 'Attribution de la pension'],
    ['refus_medical', 'Refus pour raison médicale'],
    ['commission', 'Commission de recours amiable'],
  ];
  const ENCARTS = ['identite', 'formulaire_papier'];

  // The text properties, in the panel's order: [name, label, hint, options].
  const TEXTS = [
    ['etape_groupe', 'Parcours (groupe d\'étapes)',
     'Ex. demande : les écrans d\'un même parcours partagent le titre et le fil d\'étapes.',
     { list: 'studio-ecran-groupes' }],
    ['etape_ordre', 'Ordre de l\'étape',
     'Nombre entier, place dans le fil d\'étapes (ex. 35 entre 30 et 40). Vide : page annexe, ' +
     'sans « Étape k sur n ».', { number: true }],
    ['etape_libelle', 'Titre de l\'étape', 'Dans le fil d\'étapes (par défaut : le nom de la tâche).'],
    ['recap_section', 'Titre de la section du récapitulatif',
     'Ex. « J\'ai : » (par défaut : le titre de l\'étape).'],
    ['recap_choix', 'Valeur du crayon « Modifier » au récapitulatif',
     'Valeur que prend le choix du récapitulatif pour revenir à cette étape (par défaut : la ' +
     'variable de la tâche). Elle doit figurer dans la liste du formulaire du récapitulatif.'],
    ['recap_valider', 'Valeur « Tout est bon » (sur le récapitulatif)',
     'Valeur du choix du récapitulatif qui envoie la demande (par défaut : valider).'],
    ['recap_identite', 'Identité en tête de la section', 'oui : l\'identité du compte ouvre la section.'],
    ['bouton_envoyer', 'Libellé du bouton d\'envoi',
     'Par défaut : « Suivant » dans un parcours, « Tout est bon » sur un récapitulatif, ' +
     '« Envoyer » hors parcours, « Valider » pour un agent.'],
    ['bouton_retour', 'Libellé du bouton de retour', 'Par défaut : « Retour ».'],
    ['document', 'Document déposé',
     'Sur un écran de dépôt : nature du document, nom du champ et de la donnée (ex. avis_imposition).'],
    ['encart', 'Encart d\'information',
     'Affiché au-dessus du formulaire (ex. identite, formulaire_papier).', { list: 'studio-ecran-encarts' }],
  ];

  function pairs(fromConfig, fallback) {
    if (!Array.isArray(fromConfig) || !fromConfig.length) return fallback;
    return fromConfig.map(function (item) {
      if (Array.isArray(item)) return [String(item[0]), String(item[1] || item[0])];
      return [String(item.value), String(item.label || item.value)];
    });
  }

  function distinct(values) {
    return values.filter(function (v, i) { return v && values.indexOf(v) === i; }).sort();
  }

  /** The section's nodes. `h` are the editor's helpers: el, field, input, select, datalist,
      propertyOf, setProperty, config, registry. */
  function section(element, h) {
    const bo = element.businessObject;
    const ecrans = pairs(h.config.ecrans, ECRANS);
    const panneaux = pairs(h.config.panneaux, PANNEAUX);

    function write(name, value) {
      value = (value || '').trim();
      if (value === h.propertyOf(bo, name)) return;  // nothing changed: no command
      h.setProperty(element, name, value);
    }
    function choices(empty, known, value) {
      const list = [['', empty]].concat(known);
      if (value && !known.some(function (c) { return c[0] === value; })) list.push([value, value + ' (inconnu)']);
      return list;
    }

    const ecran = h.propertyOf(bo, 'ecran');
    const panneau = h.propertyOf(bo, 'panneau');
    const nodes = [];
    nodes.push(h.field('Type d\'écran', 'Page qui présente la tâche (vide : formulaire).',
      h.select('ecran', ecran, choices('(par défaut : formulaire)', ecrans, ecran), function (value) {
        panneauField.hidden = value !== 'panneau' && !h.propertyOf(bo, 'panneau');
        write('ecran', value);
      })));
    const panneauField = h.field('Panneau d\'instruction', 'Ce que l\'agent voit au-dessus du formulaire.',
      h.select('panneau', panneau, choices('(aucun panneau)', panneaux, panneau), function (value) {
        write('panneau', value);
      }));
    panneauField.hidden = ecran !== 'panneau' && !panneau;
    nodes.push(panneauField);

    TEXTS.forEach(function (spec) {
      const name = spec[0], options = spec[3] || {}, current = h.propertyOf(bo, name);
      // a number field (unless the file holds something else: shown as text, to be corrected)
      const number = options.number && /^\d*$/.test(current.trim());
      const control = h.input(name, current, function (value) {
        if (options.number) {
          // a number field gives '' for what is not a number: refused, not a removal
          const ok = !control.validity.badInput && (!value.trim() || /^\s*\d+\s*$/.test(value));
          control.setAttribute('aria-invalid', ok ? 'false' : 'true');
          control.classList.toggle('fr-input--error', !ok);
          wrapper.classList.toggle('fr-input-group--error', !ok);
          error.hidden = ok;
          if (!ok) return;
        }
        write(name, value);
      }, { list: options.list || null, spellcheck: false });
      let error = null;
      if (options.number) {
        if (number) {
          control.type = 'number';
          control.min = '0';
          control.step = '1';
        }
        control.inputMode = 'numeric';
        error = h.el('p', { className: 'fr-error-text', id: 'prop-' + name + '-erreur',
                            text: 'Indiquez un nombre entier (ex. 35).' });
        error.hidden = true;
        control.setAttribute('aria-describedby', error.id);
      }
      const wrapper = h.field(spec[1], spec[2], control);
      if (error) wrapper.appendChild(error);
      nodes.push(wrapper);
    });

    const groupes = distinct(h.registry.getAll().map(function (e) {
      return e.businessObject && e.type !== 'label' ? h.propertyOf(e.businessObject, 'etape_groupe') : '';
    }));
    nodes.push(h.datalist('studio-ecran-groupes', groupes));
    nodes.push(h.datalist('studio-ecran-encarts', distinct(ENCARTS.concat(h.config.encarts || []))));

    return h.el('fieldset', { className: 'studio-fieldset', id: 'studio-ecran' },
                [h.el('legend', { className: 'studio-fieldset__legend', text: 'Écran' })].concat(nodes));
  }

  window.StudioScreenFields = { ECRANS: ECRANS, PANNEAUX: PANNEAUX, TEXTS: TEXTS, section: section };
})();
