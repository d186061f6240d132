/* Shared by the studio's BPMN and DMN editors: saving, validating, errors, unsaved changes. */
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('studio-config').textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const statusBox = document.getElementById('studio-status');
  const errorsBox = document.getElementById('studio-errors');
  const errorsList = document.getElementById('studio-errors-list');
  const errorsTitle = document.getElementById('studio-errors-title');
  const errorsIntro = document.getElementById('studio-errors-intro');
  const draftErrors = config.draftErrors || [];

  const editor = {
    config: config,
    dirty: false,
    refusedDraft: draftErrors.length > 0,  // opened from a refused import / lane mapping
    getXml: null,        // async () => XML string, set by the editor
    onErrors: null,      // (errors) => void: highlight elements, set by the editor
    onGoTo: null,        // (elementId) => void: select an element, set by the editor

    status: function (text, kind) {
      statusBox.textContent = text;
      statusBox.className = 'studio-status' + (kind ? ' studio-status--' + kind : '');
    },

    post: async function (url, body) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json',
                   'X-CSRFToken': csrf },
        body: JSON.stringify(body),
        credentials: 'same-origin'
      });
      let data = {};
      try { data = await response.json(); } catch (e) { data = { ok: false, erreurs: [] }; }
      if (!response.ok && !(data.erreurs && data.erreurs.length)) {
        data.erreurs = [{ fichier: config.filename, element: '',
                          message: 'Erreur ' + response.status, texte: 'Erreur ' + response.status }];
      }
      return data;
    },

    showErrors: function (errors) {
      errorsList.innerHTML = '';
      errorsBox.hidden = !errors.length;
      if (errorsTitle) {
        errorsTitle.textContent = editor.refusedDraft
          ? (errorsBox.dataset.draftTitle || 'Fichier refusé : brouillon à corriger') : 'Erreurs à corriger';
      }
      if (errorsIntro) errorsIntro.hidden = !editor.refusedDraft;
      errors.forEach(function (error) {
        const item = document.createElement('li');
        const here = error.fichier === config.filename;
        if (here && error.element) {
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'fr-link studio-error-link';
          button.textContent = error.element;
          button.addEventListener('click', function () { if (editor.onGoTo) editor.onGoTo(error.element); });
          item.appendChild(button);
          item.appendChild(document.createTextNode(' : ' + error.message));
        } else {
          item.textContent = error.texte || error.message;
        }
        errorsList.appendChild(item);
      });
      if (editor.onErrors) editor.onErrors(errors.filter(function (e) {
        return e.fichier === config.filename && e.element;
      }));
    },

    validate: async function () {
      editor.status('Validation en cours…');
      const data = await editor.post(config.urls.validate,
                                     { fichier: config.filename, contenu: await editor.getXml() });
      editor.showErrors(data.erreurs || []);
      if (data.ok) editor.status('Aucune erreur : le brouillon passe toutes les vérifications du déploiement.', 'ok');
      else editor.status((data.erreurs || []).length + ' erreur(s) : voir la liste.', 'error');
      return data.ok;
    },

    save: async function () {
      editor.status('Enregistrement…');
      const data = await editor.post(config.urls.save, { contenu: await editor.getXml() });
      editor.showErrors(data.erreurs || []);
      if (data.ok) {
        editor.dirty = false;
        editor.refusedDraft = false;  // the draft is now the saved file
        editor.status(data.message + ' Il sera pris en compte au prochain déploiement.', 'ok');
      } else {
        editor.status('Enregistrement refusé : ' + (data.erreurs || []).length + ' erreur(s).', 'error');
      }
      return data.ok;
    },

    deploy: async function () {
      if (editor.dirty && !(await editor.save())) return;
      window.location.href = config.urls.deploy;
    },

    testRun: async function () {
      document.getElementById('studio-test-content').value = await editor.getXml();
      editor.dirty = false;
      document.getElementById('studio-test-form').submit();
    },

    /** The errors that kept this file a draft, listed (and outlined by the editor's onErrors). */
    showDraftErrors: function (keepStatus) {
      if (!draftErrors.length) return;
      editor.showErrors(draftErrors);
      if (!keepStatus) editor.status('Brouillon refusé : ' + draftErrors.length +
                    ' erreur(s) à corriger avant de pouvoir l\'enregistrer.', 'error');
    },

    bindToolbar: function () {
      const on = function (id, action) {
        const button = document.getElementById(id);
        if (button) button.addEventListener('click', action);
      };
      on('btn-save', editor.save);
      on('btn-validate', editor.validate);
      on('btn-deploy', editor.deploy);
      on('btn-test', editor.testRun);
      window.addEventListener('beforeunload', function (event) {
        if (editor.dirty) { event.preventDefault(); event.returnValue = ''; }
      });
    }
  };

  window.StudioEditor = editor;
})();
