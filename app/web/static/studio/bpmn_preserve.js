/* What bpmn-js would silently drop on a round trip, kept:
   - spiffworkflow:* extension elements that spiffworkflow-moddle.json does not declare: moddle
     drops unknown types of a declared namespace, but keeps elements of unknown namespaces as
     generic elements. Before import they are moved to a private namespace; after export they
     get their spiffworkflow namespace back (the XML is untouched when there are none).
   - references that do not resolve to an element id (SpiffWorkflow reads
     bpmn:loopDataInputRef / loopDataOutputRef as variable names): a stub with that id is
     put back, so the reference is written out as it was read. */
(function () {
  'use strict';

  const SPIFF = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  const KEPT = 'urn:studio:spiffworkflow-non-declare';
  const KEPT_PREFIX = 'studiospiffkept';

  function declaredNames(descriptor) {
    const names = new Set();
    (descriptor.types || []).forEach(function (type) {
      names.add(type.name.charAt(0).toLowerCase() + type.name.slice(1));
      (type.properties || []).forEach(function (p) {
        // simple-typed child elements (e.g. inputJson) are properties, not types
        if (!p.isAttr && !p.isBody && !p.isMany && /(^|:)String$/.test(p.type || '')) names.add(p.name);
      });
    });
    return names;
  }

  /** XML with undeclared spiffworkflow elements moved to a private namespace. */
  function prepare(xml, descriptor) {
    if (xml.indexOf(SPIFF) === -1) return { xml: xml, kept: 0 };
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) return { xml: xml, kept: 0 };
    const declared = declaredNames(descriptor);
    const roots = Array.prototype.filter.call(doc.getElementsByTagNameNS(SPIFF, '*'), function (node) {
      return !declared.has(node.localName) &&
        !(node.parentNode && node.parentNode.namespaceURI === SPIFF && !declared.has(node.parentNode.localName));
    });
    // within a kept element, every spiffworkflow descendant is kept as well
    const toMove = [];
    roots.forEach(function (root) {
      const stack = [root];
      while (stack.length) {
        const node = stack.pop();
        if (node.namespaceURI === SPIFF && toMove.indexOf(node) === -1) toMove.push(node);
        Array.prototype.forEach.call(node.children, function (child) { stack.push(child); });
      }
    });
    if (!toMove.length) return { xml: xml, kept: 0 };
    // innermost first, so that a moved parent takes its already moved children along
    toMove.reverse().forEach(function (node) {
      const copy = doc.createElementNS(KEPT, KEPT_PREFIX + ':' + node.localName);
      Array.prototype.forEach.call(node.attributes, function (attr) {
        if (attr.namespaceURI) copy.setAttributeNS(attr.namespaceURI, attr.name, attr.value);
        else copy.setAttribute(attr.name, attr.value);
      });
      while (node.firstChild) copy.appendChild(node.firstChild);
      node.parentNode.replaceChild(copy, node);
    });
    return { xml: new XMLSerializer().serializeToString(doc), kept: roots.length };
  }

  /** Exported XML with the kept elements back in the spiffworkflow namespace. */
  function restore(xml) {
    if (xml.indexOf(KEPT) === -1) return xml;
    const declaredPrefix = /xmlns:([A-Za-z_][\w.-]*)="http:\/\/spiffworkflow\.org\/bpmn\/schema\/1\.0\/core"/.exec(xml);
    const prefix = declaredPrefix ? declaredPrefix[1] : 'spiffworkflow';
    let out = xml.replace(new RegExp('\\s+xmlns:' + KEPT_PREFIX + '="' + KEPT.replace(/[.:]/g, '\\$&') + '"', 'g'), '');
    out = out.replace(new RegExp('(</?)' + KEPT_PREFIX + ':', 'g'), '$1' + prefix + ':');
    if (!declaredPrefix) {
      out = out.replace(/(<[A-Za-z_][\w.-]*:definitions|<definitions)(\s)/, '$1 xmlns:' + prefix + '="' + SPIFF + '"$2');
    }
    return out;
  }

  /** Put back the references moddle could not resolve (see the import warnings). */
  function keepUnresolvedReferences(moddle, warnings) {
    let count = 0;
    (warnings || []).forEach(function (warning) {
      const match = /^unresolved reference <(.*)>$/.exec(warning.message || '');
      const element = warning.element;
      if (!match || !element || !element.$descriptor) return;
      const property = element.$descriptor.propertiesByName[warning.property];
      if (!property || !property.isReference || property.isAttr) return;  // attributes: bpmn-js needs real targets
      let stub;
      try { stub = moddle.create(property.type, { id: match[1] }); } catch (e) { return; }
      if (property.isMany) element.get(property.name).push(stub);
      else element.set(property.name, stub);
      count++;
    });
    return count;
  }

  window.StudioPreserve = { prepare: prepare, restore: restore,
                            keepUnresolvedReferences: keepUnresolvedReferences };
})();
