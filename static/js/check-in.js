/* The door check-in: the camera scanner (qr-camera.js, loaded before this file) reads the ticket's
   QR (a link to this page ending in ?code=XXXXXXXX, or the bare code) and submits the code; picking
   another event reloads the page for it. After an answer the box is ready for the next code.

   window.shequnCheckIn.submitDecoded(text) / scanImage(source): as the pickup desk's. */
(function () {
  "use strict";
  var root = document.querySelector("[data-check-in]");
  if (!root || !window.shequnQrCamera) { return; }

  function codeOf(text) {
    var match = /[?&]code=([^&#]*)/.exec(text);
    if (match) {
      try { return decodeURIComponent(match[1]); } catch (error) { return match[1]; }
    }
    return text;
  }

  window.shequnCheckIn = window.shequnQrCamera.attach(root, { read: codeOf });

  var pick = document.querySelector("[data-event-pick] select");
  if (pick) {
    pick.addEventListener("change", function () { pick.form.submit(); });
  }
  var input = root.querySelector("input[name=code]");
  if (input && !input.value) { input.focus(); }
})();
