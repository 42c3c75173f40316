/* The pickup desk's camera: reads the member's pickup QR (a signed code) through the shared scanner
   (qr-camera.js, loaded before this file) and submits it through the same form as a typed code.

   window.shequnPickupDesk.submitDecoded(text): what a decoded QR does (fills the box, submits).
   window.shequnPickupDesk.scanImage(source): decodes an <img>/<canvas>/URL and submits what it reads. */
(function () {
  "use strict";
  var root = document.querySelector("[data-pickup-desk]");
  if (!root || !window.shequnQrCamera) { return; }
  window.shequnPickupDesk = window.shequnQrCamera.attach(root);
})();
