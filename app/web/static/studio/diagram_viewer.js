/* Read-only diagram (bpmn-js NavigatedViewer) with element states, heat-map counts and timer
   due times computed by the server: <script type="application/json" id="diagram-config">. */
(function () {
  'use strict';

  function fit(node, canvas) {
    // Fit the width, but never below a readable scale: a big diagram is then panned (drag).
    const pad = 20;
    const inner = canvas.viewbox().inner;
    if (!inner.width || !inner.height) return;
    const width = node.clientWidth;
    const scale = Math.max(0.55, Math.min(1, (width - 2 * pad) / inner.width));
    node.style.height = Math.max(260, Math.min(720, inner.height * scale + 2 * pad)) + 'px';
    canvas.resized();
    const height = node.clientHeight;
    const x = inner.width * scale < width - 2 * pad
      ? inner.x - (width / scale - inner.width) / 2 : inner.x - pad / scale;
    canvas.viewbox({ x: x, y: inner.y - pad / scale, width: width / scale, height: height / scale });
  }

  async function show(node) {
    const config = JSON.parse(document.getElementById(node.dataset.config).textContent);
    const viewer = new window.BpmnJS({ container: node });
    try {
      await viewer.importXML(config.xml);
    } catch (err) {
      node.textContent = 'Le diagramme ne peut pas être affiché : ' + err.message;
      return;
    }
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    const overlays = viewer.get('overlays');
    fit(node, canvas);
    Object.entries(config.states || {}).forEach(function (entry) {
      if (registry.get(entry[0])) canvas.addMarker(entry[0], 'highlight-' + entry[1]);
    });
    (config.incidents || []).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, 'highlight-incident');
    });
    Object.entries(config.counts || {}).forEach(function (entry) {
      if (!registry.get(entry[0])) return;
      const badge = document.createElement('span');
      badge.className = 'heat-badge';
      badge.textContent = entry[1];
      badge.title = entry[1] + ' instance(s) ici';
      overlays.add(entry[0], { position: { top: -12, right: 12 }, html: badge });
    });
    (config.timers || []).forEach(function (timer) {
      if (!registry.get(timer.element) || !timer.label) return;
      const badge = document.createElement('span');
      badge.className = 'timer-badge';
      badge.textContent = timer.label;
      overlays.add(timer.element, { position: { bottom: -26, left: -28 }, html: badge });
    });
    node.dataset.ready = 'true';
  }

  document.querySelectorAll('[data-diagram]').forEach(show);
})();
