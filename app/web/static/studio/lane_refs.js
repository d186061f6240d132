/* Lanes of a bpmn-js Modeler as SpiffWorkflow reads them: from the laneSet's flowNodeRef lists,
   which also name the elements nested in (expanded or collapsed) sub-processes.

   bpmn-js recomputes flowNodeRefs from shape positions, and only against the lanes of the
   element's nearest participant / process / sub-process: an element nested in a sub-process
   without lanes of its own is found "in no lane" and loses its flowNodeRef as soon as it is
   moved, resized, or its sub-process is moved (a drop on the flow that shifts the
   sub-process is enough). This module corrects that computation before it runs (the
   'lane.updateRefs' command keeps the corrected updates, so undo/redo stay exact):
   - an element nested in a sub-process keeps the lanes it had;
   - an element created inside a sub-process takes the lanes of that sub-process (a replaced
     element keeps the lanes of the one it replaces);
   - a top-level element dropped outside every lane keeps its lanes rather than losing them;
   - deleted elements and deleted lanes are still unwired as bpmn-js does.
   It also registers 'studio.lane.assign', the undoable "put this element in that lane"
   used by the properties panel (written with modeling.updateModdleProperties). */
(function () {
  'use strict';

  const LANE_PARENTS = ['bpmn:Participant', 'bpmn:Process', 'bpmn:SubProcess'];

  function is(element, type) {
    const bo = element && (element.businessObject || element);
    return !!(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function lanesRoot(shape) {
    let parent = shape.parent;
    while (parent && !LANE_PARENTS.some(function (type) { return is(parent, type); })) parent = parent.parent;
    return parent || null;
  }

  function hasOwnLanes(root) {
    return (root.children || []).some(function (child) { return is(child, 'bpmn:Lane'); });
  }

  /** Inside a sub-process that has no lanes of its own: bpmn-js cannot place it by position. */
  function isNested(shape) {
    const root = lanesRoot(shape);
    return !!root && is(root, 'bpmn:SubProcess') && !hasOwnLanes(root);
  }

  function sameSet(a, b) {
    return a.length === b.length && a.every(function (x) { return b.indexOf(x) !== -1; });
  }

  /** Every lane of the process holding `bo` (nested lane sets included), in document order. */
  function processLanes(bo) {
    let process = bo;
    while (process && !is(process, 'bpmn:Process')) {
      process = is(process, 'bpmn:Participant') ? process.processRef : process.$parent;
    }
    const found = [];
    function walk(laneSets) {
      (laneSets || []).forEach(function (set) {
        (set.lanes || []).forEach(function (lane) {
          found.push(lane);
          if (lane.childLaneSet) walk([lane.childLaneSet]);
        });
      });
    }
    if (process) walk(process.laneSets || (process.laneSet ? [process.laneSet] : []));
    return found;
  }

  /** The lane and its parent lanes (bpmn-js lists an element in all of them). */
  function withParentLanes(lane) {
    const chain = [];
    let current = lane;
    while (current && is(current, 'bpmn:Lane')) {
      chain.unshift(current);
      current = current.$parent && current.$parent.$parent;
    }
    return chain;
  }

  function install(modeler) {
    const eventBus = modeler.get('eventBus');
    const commandStack = modeler.get('commandStack');
    const registry = modeler.get('elementRegistry');
    const modeling = modeler.get('modeling');

    // Shapes created by the command being executed (cleared once it is done), with the lanes
    // they must take: those of the element they replace, or null (those of their sub-process).
    let created = new Map();
    const replacing = [];

    function laneAlive(lane) {
      const shape = registry.get(lane.id);
      if (shape) return !!shape.parent;
      // a lane without shape (not drawn): alive while its lane set still lists it
      const set = lane.$parent;
      return !!(set && (set.lanes || []).indexOf(lane) !== -1);
    }

    /** Lanes drawn under the centre of `shape` (what bpmn-js would give a top-level element). */
    function lanesAt(shape) {
      const root = lanesRoot(shape);
      if (!root) return [];
      const mid = { x: shape.x + shape.width / 2, y: shape.y + shape.height / 2 };
      const found = [];
      (function walk(parent) {
        (parent.children || []).forEach(function (child) {
          if (!is(child, 'bpmn:Lane')) return;
          if (mid.x > child.x && mid.x < child.x + child.width && mid.y > child.y && mid.y < child.y + child.height) {
            found.push(child.businessObject);
          }
          walk(child);
        });
      })(root);
      return found;
    }

    /** The lanes of the sub-process holding `shape`: those it is listed in, else those it is
        drawn in; climbing to the enclosing sub-process while there are none. */
    function subProcessLanes(shape) {
      let bo = shape.businessObject.$parent;
      let parent = shape.parent;
      while (bo && !is(bo, 'bpmn:Process') && !is(bo, 'bpmn:Participant')) {
        if (is(bo, 'bpmn:SubProcess')) {
          const own = (bo.get('lanes') || []).filter(laneAlive);
          if (own.length) return own.slice();
          // the sub-process' shape on its parent's plane (a collapsed one is also drawn there)
          const drawn = (parent && parent.businessObject === bo && parent.parent) ? parent : registry.get(bo.id);
          const geometric = drawn && drawn.parent ? lanesAt(drawn) : [];
          if (geometric.length) return geometric;
        }
        bo = bo.$parent;
        parent = parent && parent.parent;
      }
      return [];
    }

    function correct(updates) {
      const done = new Set();
      const result = [];
      updates.forEach(function (update) {
        const flowNode = update.flowNode;
        const shape = registry.get(flowNode.id);
        const current = (flowNode.get('lanes') || []).slice();
        if (!shape || !shape.parent) { result.push(update); return; }  // deleted: unwire
        if (isNested(shape)) {
          if (done.has(flowNode)) return;
          done.add(flowNode);
          const ownProcess = processLanes(flowNode);
          const usable = function (lane) { return laneAlive(lane) && ownProcess.indexOf(lane) !== -1; };
          let wanted = current.filter(usable);
          if (created.has(shape)) {
            const inherited = (created.get(shape) || []).filter(usable);
            wanted = inherited.length ? inherited : subProcessLanes(shape);
          } else if (!wanted.length && current.length) {
            wanted = subProcessLanes(shape);  // came from another pool: take its new sub-process' lanes
          }
          const remove = current.filter(function (l) { return wanted.indexOf(l) === -1; });
          const add = wanted.filter(function (l) { return current.indexOf(l) === -1; });
          if (remove.length || add.length) result.push({ flowNode: flowNode, remove: remove, add: add });
          return;
        }
        const removesDeadLanesOnly = update.remove.length && !update.remove.some(laneAlive);
        if (removesDeadLanesOnly) { result.push(update); return; }
        if (!update.add.length && update.remove.length && created.has(shape) && created.get(shape)) {
          result.push({ flowNode: flowNode, remove: update.remove,
                        add: created.get(shape).filter(laneAlive) });
          return;
        }
        if (!update.add.length && update.remove.length &&
            update.remove.every(function (lane) { return processLanes(flowNode).indexOf(lane) !== -1; })) {
          return;  // dropped outside every lane of its own pool: keeps the lanes it had
        }
        if (sameSet(update.add, update.remove)) return;           // unchanged: keep ref order
        result.push(update);
      });
      return result;
    }

    eventBus.on('commandStack.shape.replace.preExecute', 5000, function (event) {
      const old = event.context.oldShape;
      replacing.push(old && old.businessObject ? (old.businessObject.get('lanes') || []).slice() : null);
    });
    eventBus.on('commandStack.shape.replace.postExecuted', 1, function () { replacing.pop(); });
    eventBus.on('commandStack.shape.create.preExecute', 5000, function (event) {
      const shape = event.context.shape;
      if (shape) created.set(shape, replacing.length ? replacing[replacing.length - 1] : null);
    });
    eventBus.on('commandStack.changed', function () { created = new Map(); });

    eventBus.on('commandStack.lane.updateRefs.preExecute', function (event) {
      const context = event.context;
      if (context.updates) return;
      const handler = commandStack._getHandler && commandStack._getHandler('lane.updateRefs');
      if (!handler || typeof handler._computeUpdates !== 'function') {
        console.warn('studio: lane.updateRefs handler not found; nested lane refs not protected');
        return;
      }
      context.updates = correct(handler._computeUpdates(context.flowNodeShapes || [],
                                                         context.laneShapes || []));
    });

    // "Put this element in that lane": one undoable step made of updateModdleProperties calls.
    commandStack.register('studio.lane.assign', {
      preExecute: function (context) {
        const element = context.element;
        const bo = element.businessObject;
        const old = (bo.get('lanes') || []).slice();
        const wanted = context.lane ? withParentLanes(context.lane) : [];
        old.filter(function (l) { return wanted.indexOf(l) === -1; }).forEach(function (lane) {
          modeling.updateModdleProperties(element, lane, {
            flowNodeRef: lane.get('flowNodeRef').filter(function (node) { return node !== bo; }) });
        });
        wanted.filter(function (l) { return old.indexOf(l) === -1; }).forEach(function (lane) {
          modeling.updateModdleProperties(element, lane, {
            flowNodeRef: lane.get('flowNodeRef').concat([bo]) });
        });
        modeling.updateModdleProperties(element, bo, { lanes: wanted });
      },
      execute: function () { return []; },
      revert: function () { return []; }
    });
  }

  /** The lane shown for an element: its innermost lane. */
  function laneOf(bo) {
    const lanes = (bo.get ? bo.get('lanes') : bo.lanes) || [];
    return lanes.find(function (lane) { return !lane.childLaneSet || !(lane.childLaneSet.lanes || []).length; }) ||
           lanes[lanes.length - 1] || null;
  }

  window.StudioLaneRefs = { install: install, processLanes: processLanes, laneOf: laneOf };
})();
