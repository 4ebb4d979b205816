// SPDX-License-Identifier: GPL-3.0-or-later
// The demo website's only script (the Content-Security-Policy allows no
// inline ones): the countdown and the status of the request on the page,
// polled once a second from /demo/api/requests/{id}. The page works
// without it too ("Comprobar el estado" reloads the server's view).
'use strict';

(function () {
  const status = document.getElementById('status');
  if (!status || !status.dataset.requestId)
    return;

  const id = status.dataset.requestId;
  const request = document.getElementById('request');
  const countdown = document.getElementById('countdown-value');
  const deadline = Date.now() + 1000 * parseInt(status.dataset.expiresIn || '0', 10);
  const levels = { advanced: 'avanzado', basic: 'básico' };
  let finished = false;
  let timer = 0;

  function formatSeconds(total) {
    const minutes = Math.floor(total / 60);
    const seconds = total % 60;
    return minutes + ':' + (seconds < 10 ? '0' : '') + seconds;
  }

  function show(kind, title, detail) {
    status.className = 'status' + (kind ? ' ' + kind : '');
    status.replaceChildren();
    const heading = document.createElement('p');
    heading.className = 'status-title';
    heading.textContent = title;
    status.appendChild(heading);
    if (detail) {
      const text = document.createElement('p');
      text.className = 'status-detail';
      text.textContent = detail;
      status.appendChild(text);
    }
  }

  // Answered (or gone): what only a pending request can use goes (the
  // "Abrir en Clave Desktop" button, "Cancelar"), the way back shows.
  function finish() {
    finished = true;
    window.clearInterval(timer);
    if (request)
      request.classList.add('done');
    document.querySelectorAll('[data-while-pending]').forEach(function (element) {
      element.remove();
    });
    document.querySelectorAll('[data-when-answered]').forEach(function (element) {
      element.hidden = false;
    });
  }

  function tick() {
    if (!countdown || finished)
      return;
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    countdown.textContent = formatSeconds(left);
  }

  function apply(answer) {
    if (answer.status === 'confirmed') {
      finish();
      show('ok', 'Autenticación completada',
           'Documento: ' + answer.document + ' · Nivel: ' + (levels[answer.level] || answer.level));
    } else if (answer.status === 'rejected') {
      finish();
      show('bad', 'Solicitud rechazada',
           'La solicitud se ha rechazado. Puede volver a intentarlo desde la página de inicio.');
    } else if (answer.status === 'expired') {
      finish();
      show('bad', 'Solicitud caducada',
           'El tiempo para confirmar la solicitud ha terminado. Vuelva a intentarlo.');
    }
  }

  function poll() {
    if (finished)
      return;
    fetch('/demo/api/requests/' + encodeURIComponent(id),
          { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) {
        if (response.status === 404) {
          finish();
          show('bad', 'Solicitud no encontrada', 'Vuelva a la página de inicio e inténtelo de nuevo.');
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer)
          apply(answer);
      })
      .catch(function () {
        // A lost connection is retried on the next tick.
      });
  }

  tick();
  timer = window.setInterval(function () {
    tick();
    poll();
  }, 1000);
})();
