/* The studio's BPMN editor: bpmn-js Modeler plus a compact properties panel for what this
   platform executes (names, lanes, forms, scripts, conditions, timers, messages, decisions),
   written through the modeler's `modeling` API so undo/redo works and the XML is saved in the
   form SpiffWorkflow parses (spiffworkflow:properties, preScript, calledDecisionId…); the
   « Écran » section of user tasks (screen properties) comes from screen_fields.js.
   lane_refs.js keeps the lanes' flowNodeRefs of elements nested in sub-processes through edits
   (and gives the panel its undoable lane change); bpmn_preserve.js keeps what moddle would drop
   (undeclared spiffworkflow elements, loopDataInputRef/OutputRef naming variables). */
(function () {
  'use strict';

  const editor = window.StudioEditor;
  const config = editor.config;
  const FORM_PROPERTY = 'formJsonSchemaFilename';
  const DUE_PROPERTY = 'dueDateVariable';
  const TIMER_KINDS = [['timeDuration', 'Durée (ex. "P30D")'], ['timeDate', 'Date (variable ou "2026-01-31T00:00:00")'],
                       ['timeCycle', 'Cycle (ex. "R3/P1D")']];

  let modeler, modeling, moddle, canvas, registry, selection;
  let current = null;
  let errorMarkers = [];

  function is(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'className') node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // ----- spiffworkflow extension elements ------------------------------------------------
  function extensionValues(bo) { return (bo.extensionElements && bo.extensionElements.values) || []; }
  function findExtension(bo, type) { return extensionValues(bo).find(function (v) { return v.$type === type; }); }

  function setExtensions(element, values) {
    const bo = element.businessObject;
    if (!values.length) {
      if (bo.extensionElements) modeling.updateProperties(element, { extensionElements: undefined });
      return;
    }
    if (bo.extensionElements) {
      values.forEach(function (v) { v.$parent = bo.extensionElements; });
      modeling.updateModdleProperties(element, bo.extensionElements, { values: values });
    } else {
      const ext = moddle.create('bpmn:ExtensionElements', { values: values });
      ext.$parent = bo;
      values.forEach(function (v) { v.$parent = ext; });
      modeling.updateProperties(element, { extensionElements: ext });
    }
  }

  function bodyOf(bo, type) { const found = findExtension(bo, type); return found ? (found.value || '') : ''; }

  function setBody(element, type, text) {
    const values = extensionValues(element.businessObject).filter(function (v) { return v.$type !== type; });
    if (text.trim()) values.push(moddle.create(type, { value: text }));
    setExtensions(element, values);
  }

  function propertyOf(bo, name) {
    const props = findExtension(bo, 'spiffworkflow:Properties');
    const found = props && (props.properties || []).find(function (p) { return p.name === name; });
    return found ? (found.value || '') : '';
  }

  function setProperty(element, name, value) {
    const bo = element.businessObject;
    const props = findExtension(bo, 'spiffworkflow:Properties');
    // The other properties are kept, in their order; this one keeps its place when it changes.
    const wanted = value.trim();
    let placed = false;
    const list = [];
    (props ? props.properties || [] : []).forEach(function (p) {
      if (p.name !== name) {
        list.push(moddle.create('spiffworkflow:Property', { name: p.name, value: p.value }));
      } else if (wanted && !placed) {
        list.push(moddle.create('spiffworkflow:Property', { name: name, value: wanted }));
        placed = true;
      }
    });
    if (wanted && !placed) list.push(moddle.create('spiffworkflow:Property', { name: name, value: wanted }));
    const values = extensionValues(bo).filter(function (v) { return v.$type !== 'spiffworkflow:Properties'; });
    if (list.length) {
      const created = moddle.create('spiffworkflow:Properties', { properties: list });
      list.forEach(function (p) { p.$parent = created; });
      values.unshift(created);
    }
    setExtensions(element, values);
  }

  // ----- other executable properties -------------------------------------------------------
  function eventDefinition(bo, type) {
    return (bo.eventDefinitions || []).find(function (d) { return is(d, type); });
  }

  function expression(text) {
    return text.trim() ? moddle.create('bpmn:FormalExpression', { body: text }) : undefined;
  }

  function setTimer(element, kind, text) {
    const definition = eventDefinition(element.businessObject, 'bpmn:TimerEventDefinition');
    const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    props[kind] = expression(text);
    if (props[kind]) props[kind].$parent = definition;
    modeling.updateModdleProperties(element, definition, props);
  }

  function timerOf(bo) {
    const definition = eventDefinition(bo, 'bpmn:TimerEventDefinition');
    for (const pair of TIMER_KINDS) {
      if (definition && definition[pair[0]]) return { kind: pair[0], text: definition[pair[0]].body || '' };
    }
    return { kind: 'timeDuration', text: '' };
  }

  function messageHolder(bo) {
    const definition = eventDefinition(bo, 'bpmn:MessageEventDefinition');
    if (definition) return definition;
    return is(bo, 'bpmn:ReceiveTask') || is(bo, 'bpmn:SendTask') ? bo : null;
  }

  function messageNames() {
    return (modeler.getDefinitions().rootElements || [])
      .filter(function (e) { return is(e, 'bpmn:Message'); })
      .map(function (e) { return e.name || e.id; });
  }

  function setMessage(element, name) {
    const holder = messageHolder(element.businessObject);
    const definitions = modeler.getDefinitions();
    name = name.trim();
    if (!name) { modeling.updateModdleProperties(element, holder, { messageRef: undefined }); return; }
    let message = (definitions.rootElements || []).find(function (e) {
      return is(e, 'bpmn:Message') && (e.name === name || (!e.name && e.id === name));
    });
    if (!message) {
      message = moddle.create('bpmn:Message', { id: 'Message_' + Math.random().toString(36).slice(2, 9), name: name });
      message.$parent = definitions;
      modeling.updateModdleProperties(element, definitions,
                                      { rootElements: (definitions.rootElements || []).concat([message]) });
    }
    modeling.updateModdleProperties(element, holder, { messageRef: message });
  }

  function isConditionalFlow(element) {
    const bo = element.businessObject;
    return is(bo, 'bpmn:SequenceFlow') && bo.sourceRef &&
      (is(bo.sourceRef, 'bpmn:ExclusiveGateway') || is(bo.sourceRef, 'bpmn:InclusiveGateway'));
  }

  // ----- the panel -------------------------------------------------------------------------
  let fieldCount = 0;
  function field(label, hint, control) {
    const id = 'prop-' + (control.dataset.prop || ++fieldCount);
    control.id = id;
    const labelNode = el('label', { className: 'fr-label', for: id, text: label });
    if (hint) labelNode.appendChild(el('span', { className: 'fr-hint-text', text: hint }));
    const group = control.tagName === 'SELECT' ? 'fr-select-group' : 'fr-input-group';
    return el('div', { className: group + ' studio-field' }, [labelNode, control]);
  }

  function input(prop, value, onChange, options) {
    options = options || {};
    const node = el(options.multiline ? 'textarea' : 'input',
                    { className: 'fr-input' + (options.code ? ' studio-code' : '') });
    node.dataset.prop = prop;
    node.value = value || '';
    if (options.multiline) node.rows = options.rows || 4;
    if (options.list) node.setAttribute('list', options.list);
    if (options.readonly) node.readOnly = true;
    if (options.spellcheck === false) node.spellcheck = false;
    node.addEventListener('change', function () { onChange(node.value); });
    return node;
  }

  function select(prop, value, choices, onChange) {
    const node = el('select', { className: 'fr-select' });
    node.dataset.prop = prop;
    choices.forEach(function (choice) {
      const option = el('option', { value: choice[0], text: choice[1] });
      if (choice[0] === value) option.selected = true;
      node.appendChild(option);
    });
    node.addEventListener('change', function () { onChange(node.value); });
    return node;
  }

  function datalist(id, values) {
    const list = el('datalist', { id: id });
    values.forEach(function (v) { list.appendChild(el('option', { value: v })); });
    return list;
  }

  function typeLabel(bo) {
    return (bo.$type || '').replace('bpmn:', '');
  }

  function laneRole(name) {
    const plain = (name || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .split(/\s+/).filter(Boolean).join(' ');
    const found = (config.lanes || []).find(function (lane) {
      return lane.name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase() === plain;
    });
    return found ? found.role : null;
  }

  function renderPanel(element) {
    current = element;
    const box = document.getElementById('studio-properties');
    box.innerHTML = '';
    syncElementSelect();
    if (!element) {
      box.appendChild(el('p', { className: 'fr-text--sm', text: 'Sélectionnez un élément du diagramme.' }));
      return;
    }
    const bo = element.businessObject;
    const fields = [];
    fields.push(el('p', { className: 'studio-panel__type', text: typeLabel(bo) + ' — ' + bo.id }));
    if (!is(bo, 'bpmn:Collaboration') && !is(bo, 'bpmn:Process')) {
      fields.push(field('Nom', null, input('name', bo.name, function (value) {
        modeling.updateLabel(element, value);
      }, { list: is(bo, 'bpmn:Lane') ? 'studio-lanes' : null })));
    }
    const lanes = is(bo, 'bpmn:FlowNode') ? window.StudioLaneRefs.processLanes(bo) : [];
    if (lanes.length) {
      const laneNow = window.StudioLaneRefs.laneOf(bo);
      const choices = [['', '(aucun couloir)']].concat(lanes.map(function (lane) {
        return [lane.id, (lane.name || lane.id) + (lane.name ? ' (' + lane.id + ')' : '')];
      }));
      fields.push(field('Couloir', 'Rôle qui traite la tâche (aussi pour un élément d\'un sous-processus).',
        select('lane', laneNow ? laneNow.id : '', choices, function (value) {
          const lane = lanes.find(function (l) { return l.id === value; }) || null;
          modeler.get('commandStack').execute('studio.lane.assign', { element: element, lane: lane });
        })));
    }
    if (is(bo, 'bpmn:Lane')) {
      const role = laneRole(bo.name);
      fields.push(el('p', { className: 'fr-text--sm ' + (role ? '' : 'studio-warning'),
        text: role ? 'Les tâches utilisateur de ce couloir vont au rôle : ' + role + '.'
                   : 'Ce nom ne correspond à aucun rôle : ses tâches utilisateur seront refusées au déploiement.' }));
      fields.push(datalist('studio-lanes', (config.lanes || []).map(function (l) { return l.name; })));
    }
    if (is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:ManualTask')) {
      const forms = [['', '(aucun formulaire)']].concat((config.forms || []).map(function (f) { return [f, f]; }));
      const currentForm = propertyOf(bo, FORM_PROPERTY);
      if (currentForm && !(config.forms || []).includes(currentForm)) forms.push([currentForm, currentForm + ' (introuvable)']);
      fields.push(field('Formulaire', 'Fichier de forms/ affiché pour cette tâche.',
        select('form', currentForm, forms, function (value) { setProperty(element, FORM_PROPERTY, value); })));
      fields.push(field('Variable d\'échéance', 'Nom de la variable qui contient la date limite de la tâche (facultatif).',
        input('due', propertyOf(bo, DUE_PROPERTY), function (value) { setProperty(element, DUE_PROPERTY, value); },
              { spellcheck: false })));
      fields.push(field('Instructions', 'Texte affiché au-dessus du formulaire (facultatif).',
        input('instructions', bodyOf(bo, 'spiffworkflow:InstructionsForEndUser'), function (value) {
          setBody(element, 'spiffworkflow:InstructionsForEndUser', value);
        }, { multiline: true, rows: 3 })));
      if (window.StudioScreenFields) {  // « Écran »: screen_fields.js
        fields.push(window.StudioScreenFields.section(element, {
          el: el, field: field, input: input, select: select, datalist: datalist,
          propertyOf: propertyOf, setProperty: setProperty, config: config, registry: registry }));
      }
    }
    if (is(bo, 'bpmn:ScriptTask')) {
      fields.push(field('Script (Python restreint)', 'Pas d\'import ; fonctions des règles, notifier(…), maj_dossier(…).',
        input('script', bo.script, function (value) {
          modeling.updateProperties(element, { script: value, scriptFormat: 'python' });
        }, { multiline: true, rows: 8, code: true, spellcheck: false })));
    }
    if (is(bo, 'bpmn:BusinessRuleTask')) {
      const decisions = [['', '(choisir)']].concat((config.decisions || []).map(function (d) { return [d, d]; }));
      const called = bodyOf(bo, 'spiffworkflow:CalledDecisionId');
      if (called && !(config.decisions || []).includes(called)) decisions.push([called, called + ' (introuvable)']);
      fields.push(field('Décision DMN appelée', null, select('decision', called, decisions, function (value) {
        setBody(element, 'spiffworkflow:CalledDecisionId', value);
      })));
    }
    if (is(bo, 'bpmn:CallActivity')) {
      fields.push(field('Processus appelé', 'Identifiant du processus (attribut calledElement).',
        input('called', bo.calledElement, function (value) {
          modeling.updateProperties(element, { calledElement: value.trim() || undefined });
        }, { spellcheck: false })));
    }
    if (is(bo, 'bpmn:Activity')) {
      fields.push(field('Pré-script', 'Exécuté avant la tâche (facultatif).',
        input('prescript', bodyOf(bo, 'spiffworkflow:PreScript'), function (value) {
          setBody(element, 'spiffworkflow:PreScript', value);
        }, { multiline: true, rows: 3, code: true, spellcheck: false })));
      fields.push(field('Post-script', 'Exécuté après la tâche (facultatif).',
        input('postscript', bodyOf(bo, 'spiffworkflow:PostScript'), function (value) {
          setBody(element, 'spiffworkflow:PostScript', value);
        }, { multiline: true, rows: 3, code: true, spellcheck: false })));
    }
    if (isConditionalFlow(element)) {
      const gateway = element.source;
      const isDefault = gateway && gateway.businessObject.default === bo;
      fields.push(field('Condition (expression Python)', 'Ex. : double >= 100. Vide sur le flux par défaut.',
        input('condition', bo.conditionExpression ? bo.conditionExpression.body : '', function (value) {
          const expr = expression(value);
          if (expr) expr.$parent = bo;
          modeling.updateProperties(element, { conditionExpression: expr });
        }, { multiline: true, rows: 2, code: true, spellcheck: false })));
      const box = el('input', { type: 'checkbox', id: 'prop-default' });
      box.checked = isDefault;
      box.addEventListener('change', function () {
        modeling.updateProperties(gateway, { default: box.checked ? bo : undefined });
      });
      fields.push(el('div', { className: 'fr-checkbox-group studio-field' },
                     [box, el('label', { className: 'fr-label', for: 'prop-default', text: 'Flux par défaut du branchement' })]));
    }
    if (eventDefinition(bo, 'bpmn:TimerEventDefinition')) {
      const timer = timerOf(bo);
      const kind = select('timer-kind', timer.kind, TIMER_KINDS, function (value) {
        setTimer(element, value, document.getElementById('prop-timer').value);
      });
      fields.push(field('Type de minuteur', null, kind));
      fields.push(field('Expression du minuteur', 'Expression Python : une durée ISO entre guillemets ("P2M") ou une variable.',
        input('timer', timer.text, function (value) {
          setTimer(element, document.getElementById('prop-timer-kind').value, value);
        }, { code: true, spellcheck: false })));
    }
    const holder = messageHolder(bo);
    if (holder) {
      fields.push(field('Nom du message', 'Nom attendu ou envoyé (ex. pieces_recues).',
        input('message', holder.messageRef ? (holder.messageRef.name || holder.messageRef.id) : '',
              function (value) { setMessage(element, value); }, { list: 'studio-messages', spellcheck: false })));
      fields.push(datalist('studio-messages', messageNames()));
    }
    fields.forEach(function (f) { box.appendChild(f); });
  }

  // ----- element list (keyboard access to the diagram) --------------------------------------
  function syncElementSelect() {
    const chooser = document.getElementById('studio-element-select');
    const elements = registry.filter(function (e) {
      const bo = e.businessObject;
      return e.type !== 'label' && bo && bo.id && !is(bo, 'bpmn:Collaboration') && !is(bo, 'bpmn:Process');
    });
    chooser.innerHTML = '';
    chooser.appendChild(el('option', { value: '', text: '(choisir un élément)' }));
    elements.sort(function (a, b) { return (a.businessObject.name || a.id).localeCompare(b.businessObject.name || b.id, 'fr'); })
      .forEach(function (e) {
        const option = el('option', { value: e.id,
          text: (e.businessObject.name ? e.businessObject.name + ' — ' : '') + typeLabel(e.businessObject) + ' ' + e.id });
        if (current && current.id === e.id) option.selected = true;
        chooser.appendChild(option);
      });
  }

  function goTo(elementId) {
    const element = registry.get(elementId);
    if (!element) return;
    selection.select(element);
    try { canvas.scrollToElement(element); } catch (e) { /* older bpmn-js */ }
  }

  function markErrors(errors) {
    errorMarkers.forEach(function (id) { if (registry.get(id)) canvas.removeMarker(id, 'studio-error'); });
    errorMarkers = [];
    errors.forEach(function (error) {
      if (registry.get(error.element)) { canvas.addMarker(error.element, 'studio-error'); errorMarkers.push(error.element); }
    });
    if (errors.length) goTo(errors[0].element);
  }

  function fitBesidePalette() {
    // Like zoom('fit-viewport'), but clear of the palette drawn over the canvas' left side.
    const container = document.getElementById('studio-canvas');
    const palette = container.querySelector('.djs-palette');
    const left = (palette ? palette.offsetWidth : 0) + 32;
    const pad = 24;
    const inner = canvas.viewbox().inner;
    if (!inner.width || !inner.height) return;
    const width = container.clientWidth, height = container.clientHeight;
    // Big diagrams start readable at the top left rather than shrunk to a thumbnail.
    const scale = Math.max(0.6, Math.min(1, (width - left - pad) / inner.width,
                                         (height - 2 * pad) / inner.height));
    canvas.viewbox({ x: inner.x - left / scale, y: inner.y - pad / scale,
                     width: width / scale, height: height / scale });
  }

  async function init() {
    const descriptor = await (await fetch(document.getElementById('studio-canvas').dataset.moddleUrl)).json();
    const pristine = JSON.parse(JSON.stringify(descriptor));  // moddle rewrites the one it registers
    modeler = new window.BpmnJS({ container: '#studio-canvas',
                                  moddleExtensions: { spiffworkflow: descriptor } });
    editor.modeler = modeler;
    modeling = modeler.get('modeling');
    moddle = modeler.get('moddle');
    canvas = modeler.get('canvas');
    registry = modeler.get('elementRegistry');
    selection = modeler.get('selection');
    window.StudioLaneRefs.install(modeler);
    try {
      const prepared = window.StudioPreserve.prepare(config.xml, pristine);
      const result = await modeler.importXML(prepared.xml);
      const kept = window.StudioPreserve.keepUnresolvedReferences(moddle, result.warnings);
      editor.importWarnings = (result.warnings || []).map(function (w) { return w.message; });
      const warnings = (result.warnings || []).length - kept;
      if (warnings > 0) {
        editor.status(warnings + ' avertissement(s) à l\'ouverture du diagramme.', 'warning');
      } else if (prepared.kept) {
        editor.status(prepared.kept + ' extension(s) spiffworkflow inconnue(s) de l\'éditeur : ' +
                      'conservée(s) telle(s) quelle(s) à l\'enregistrement.');
      }
    } catch (err) {
      const noLayout = /no diagram to display/i.test(err.message);
      editor.status(noLayout
        ? 'Ce fichier n\'a pas de mise en page (BPMNDiagram) : il ne peut pas être dessiné. Ajoutez-la, ou importez une version dessinée.'
        : 'Le diagramme ne peut pas être ouvert : ' + err.message, 'error');
      editor.showDraftErrors(true);  // listed at least, even when the diagram cannot be drawn
      document.body.dataset.studioReady = 'error';
      return;
    }
    fitBesidePalette();
    editor.getXml = async function () {
      return window.StudioPreserve.restore((await modeler.saveXML({ format: true })).xml);
    };
    editor.onErrors = markErrors;
    editor.onGoTo = goTo;
    modeler.on('selection.changed', function (event) {
      renderPanel(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    modeler.on('commandStack.changed', function () {
      editor.dirty = true;
      editor.status('Modifications non enregistrées.');
      const panel = document.getElementById('studio-panel');
      if (current && !panel.contains(document.activeElement)) renderPanel(registry.get(current.id) || null);
    });
    document.getElementById('studio-element-select').addEventListener('change', function (event) {
      if (event.target.value) goTo(event.target.value);
    });
    document.getElementById('btn-undo').addEventListener('click', function () { modeler.get('commandStack').undo(); });
    document.getElementById('btn-redo').addEventListener('click', function () { modeler.get('commandStack').redo(); });
    editor.bindToolbar();
    renderPanel(null);
    editor.showDraftErrors();  // a refused import's errors, outlined like the validation's
    document.body.dataset.studioReady = 'true';
  }

  init();
})();
