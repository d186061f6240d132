/* The studio's DMN editor: dmn-js Modeler (decision tables, literal expressions, DRD). */
(function () {
  'use strict';

  const editor = window.StudioEditor;
  const config = editor.config;
  const labels = { drd: 'Schéma (DRD)', decisionTable: 'Table', literalExpression: 'Expression' };
  let modeler;


  // ----- DMN versions: dmn-js 17 reads DMN 1.3 only -------------------------------------------
  const DMN13 = { model: 'https://www.omg.org/spec/DMN/20191111/MODEL/',
                  dmndi: 'https://www.omg.org/spec/DMN/20191111/DMNDI/',
                  feel: 'https://www.omg.org/spec/DMN/20191111/FEEL/' };
  const VERSIONS = [
    { version: '1.1', model: 'http://www.omg.org/spec/DMN/20151101/dmn.xsd', feel: 'http://www.omg.org/spec/FEEL/20140401' },
    { version: '1.2', model: 'http://www.omg.org/spec/DMN/20180521/MODEL/' },
    { version: '1.4', model: 'https://www.omg.org/spec/DMN/20211108/MODEL/' },
    { version: '1.5', model: 'https://www.omg.org/spec/DMN/20230324/MODEL/' }
  ];
  // Boxed expressions and constraints added after DMN 1.3: dmn-js would drop them.
  const AFTER_13 = ['conditional', 'filter', 'for', 'every', 'some', 'iterator', 'typeConstraint'];

  function quoted(uri) { return new RegExp('(["\'])' + uri.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&') + '\\1', 'g'); }

  /** { xml, version, refused } — DMN 1.1/1.2/1.4/1.5 rewritten to DMN 1.3 when nothing is lost. */
  function toDmn13(xml) {
    const found = VERSIONS.find(function (v) { return quoted(v.model).test(xml); });
    if (!found) return { xml: xml, version: null };
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) {
      return { xml: xml, version: found.version, refused: 'le fichier n\'est pas du XML bien formé.' };
    }
    const newer = AFTER_13.filter(function (name) { return doc.getElementsByTagNameNS(found.model, name).length; });
    if (newer.length) {
      return { xml: xml, version: found.version,
               refused: 'il utilise des éléments qui n\'existent pas en DMN 1.3 (' + newer.join(', ') + ') ; ' +
                        'l\'éditeur les perdrait.' };
    }
    let out = xml.replace(quoted(found.model), '$1' + DMN13.model + '$1');
    // diagram interchange and FEEL namespaces of any DMN version, whatever their date
    out = out.replace(/(["'])https?:\/\/www\.omg\.org\/spec\/DMN\/\d{8}\/DMNDI\/\1/g, '$1' + DMN13.dmndi + '$1');
    out = out.replace(/(["'])https?:\/\/www\.omg\.org\/spec\/DMN\/\d{8}\/FEEL\/\1/g, '$1' + DMN13.feel + '$1');
    if (found.feel) out = out.replace(quoted(found.feel), '$1' + DMN13.feel + '$1');
    if (found.version === '1.1') {
      // DMN 1.1 qualified its item types (typeRef="feel:string"); DMN 1.3 names them plainly.
      out = out.replace(/typeRef="(?:[A-Za-z_][\w.-]*):([^"]+)"/g, 'typeRef="$1"');
    }
    return { xml: out, version: found.version };
  }

  function refuse(text) {
    editor.status(text, 'error');
    const box = document.getElementById('studio-canvas');
    box.innerHTML = '';
    const alert = document.createElement('div');
    alert.className = 'fr-alert fr-alert--error';  // the status line already announces it
    const p = document.createElement('p');
    p.textContent = text;
    alert.appendChild(p);
    box.appendChild(alert);
    editor.showDraftErrors(true);  // the status says why it cannot be opened
    ['btn-save', 'btn-validate'].forEach(function (id) {  // nothing to save: the file stays as it is
      const button = document.getElementById(id);
      if (button) button.disabled = true;
    });
    document.body.dataset.studioReady = 'error';
  }

  function renderTabs() {
    const tabs = document.getElementById('dmn-views');
    tabs.innerHTML = '';
    const active = modeler.getActiveView();
    modeler.getViews().forEach(function (view) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'fr-btn fr-btn--sm ' + (active && active.element === view.element ? '' : 'fr-btn--secondary');
      if (active && active.element === view.element) button.setAttribute('aria-current', 'true');
      button.textContent = labels[view.type] + ' : ' + (view.element.name || view.element.id);
      button.addEventListener('click', function () { modeler.open(view); });
      item.appendChild(button);
      tabs.appendChild(item);
    });
  }

  function watchChanges() {
    const viewer = modeler.getActiveViewer();
    if (viewer && !viewer.__studioWatched) {
      viewer.__studioWatched = true;
      viewer.on('elements.changed', function () {
        editor.dirty = true;
        editor.status('Modifications non enregistrées.');
      });
    }
  }

  function goTo(elementId) {
    const view = modeler.getViews().find(function (v) { return v.element.id === elementId && v.type !== 'drd'; }) ||
                 modeler.getViews().find(function (v) { return v.element.id === elementId; });
    if (view) modeler.open(view);
  }

  async function init() {
    const converted = toDmn13(config.xml);
    if (converted.refused) {
      refuse('Ce fichier DMN ' + converted.version + ' ne peut pas être ouvert dans l\'éditeur (qui travaille en DMN 1.3) : ' +
             converted.refused + ' Modifiez-le dans un autre outil, ou importez une version DMN 1.3.');
      return;
    }
    modeler = new window.DmnJS({ container: '#studio-canvas' });
    editor.modeler = modeler;
    modeler.on('views.changed', function () { renderTabs(); watchChanges(); });
    let result;
    try {
      result = await modeler.importXML(converted.xml);
    } catch (err) {
      refuse((converted.version ? 'Ce fichier DMN ' + converted.version + ' ne peut pas être ouvert dans l\'éditeur (DMN 1.3) : '
                                : 'La table ne peut pas être ouverte : ') + err.message);
      return;
    }
    const warnings = (result && result.warnings) || [];
    if (converted.version && warnings.length) {
      // a converted file must come through whole: otherwise saving would lose part of it
      refuse('Ce fichier DMN ' + converted.version + ' ne peut pas être ouvert dans l\'éditeur (DMN 1.3) sans perte : ' +
             warnings.length + ' élément(s) non reconnu(s) (' + (warnings[0].message || '').split('\n')[0] + ').');
      return;
    }
    if (converted.version) {
      editor.status('Fichier DMN ' + converted.version + ' ouvert en DMN 1.3 (même contenu) : ' +
                    'il sera enregistré en DMN 1.3.', 'warning');
    } else if (warnings.length) {
      editor.status(warnings.length + ' avertissement(s) à l\'ouverture de la table.', 'warning');
    }
    const table = modeler.getViews().find(function (v) { return v.type === 'decisionTable'; });
    if (table) await modeler.open(table);
    editor.getXml = async function () { return (await modeler.saveXML({ format: true })).xml; };
    editor.onGoTo = goTo;
    editor.onErrors = function (errors) { if (errors.length) goTo(errors[0].element); };
    editor.bindToolbar();
    renderTabs();
    watchChanges();
    editor.showDraftErrors();
    document.body.dataset.studioReady = 'true';
  }

  init();
})();
