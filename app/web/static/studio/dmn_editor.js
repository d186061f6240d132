/* The studio's DMN editor: dmn-js Modeler (decision tables, literal expressions, DRD). */
(function () {
  'use strict';

  const editor = window.StudioEditor;
  const config = editor.config;
  const labels = { drd: 'Schéma (DRD)', decisionTable: 'Table', literalExpression: 'Expression' };
  let modeler;

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
    modeler = new window.DmnJS({ container: '#studio-canvas' });
    modeler.on('views.changed', function () { renderTabs(); watchChanges(); });
    try {
      await modeler.importXML(config.xml);
    } catch (err) {
      editor.status('La table ne peut pas être ouverte : ' + err.message, 'error');
      return;
    }
    const table = modeler.getViews().find(function (v) { return v.type === 'decisionTable'; });
    if (table) await modeler.open(table);
    editor.getXml = async function () { return (await modeler.saveXML({ format: true })).xml; };
    editor.onGoTo = goTo;
    editor.onErrors = function (errors) { if (errors.length) goTo(errors[0].element); };
    editor.bindToolbar();
    renderTabs();
    watchChanges();
    document.body.dataset.studioReady = 'true';
  }

  init();
})();
