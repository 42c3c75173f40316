/* The camera scanner shared by the pickup desk and the door check-in: reads a QR code with jsQR in
   the browser (loaded on first use from the root's data-reader-src) and submits what it read
   through the page's code form, as if it had been typed. Nothing leaves the browser but the code.
   getUserMedia needs HTTPS or localhost; without a camera the typed code works as before.

   window.shequnQrCamera.attach(root, options) wires one scanner: root holds form.code-form with
   input[name=code], [data-scan-start], [data-scan-stop], a <video> and [data-scan-status], and the
   texts as data-text-* (starting, scanning, read, nothing, denied, no-camera). options.read(text)
   may turn what the QR holds into what goes in the box (null: not ours). It returns
   { submitDecoded(text), scanImage(source), stop() }: scanImage decodes an <img>/<canvas>/URL. */
(function () {
  "use strict";

  function attach(root, options) {
    options = options || {};
    var form = root.querySelector("form.code-form");
    var input = form.querySelector("input[name=code]");
    var startButton = root.querySelector("[data-scan-start]");
    var stopButton = root.querySelector("[data-scan-stop]");
    var video = root.querySelector("video");
    var status = root.querySelector("[data-scan-status]");
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    var loading = null;
    var lastScan = 0;

    function say(text) { status.textContent = text || ""; }

    function loadReader() {
      if (window.jsQR) { return Promise.resolve(window.jsQR); }
      if (!loading) {
        loading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = root.dataset.readerSrc;
          script.onload = function () { resolve(window.jsQR); };
          script.onerror = function () { loading = null; reject(new Error("reader")); };
          document.head.appendChild(script);
        });
      }
      return loading;
    }

    function submitDecoded(text) {
      text = String(text || "").trim();
      if (options.read) { text = options.read(text); }
      if (!text) { return false; }
      stop();
      input.value = text.slice(0, parseInt(input.maxLength, 10) || 120);
      say(root.dataset.textRead);
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      return true;
    }

    function decodeFrom(source, width, height) {
      canvas.width = width;
      canvas.height = height;
      context.drawImage(source, 0, 0, width, height);
      var pixels = context.getImageData(0, 0, width, height);
      var found = window.jsQR(pixels.data, width, height, { inversionAttempts: "attemptBoth" });
      return found ? found.data : null;
    }

    function scanImage(source) {
      return loadReader().then(function () {
        if (typeof source === "string") {
          return new Promise(function (resolve, reject) {
            var image = new Image();
            image.onload = function () { resolve(image); };
            image.onerror = reject;
            image.src = source;
          });
        }
        return source;
      }).then(function (image) {
        var text = decodeFrom(image, image.naturalWidth || image.width, image.naturalHeight || image.height);
        if (!text) { say(root.dataset.textNothing); return false; }
        return submitDecoded(text);
      });
    }

    function tick(now) {
      if (!stream) { return; }
      // A frame every 150 ms is plenty for a code held still, and spares a slow laptop or phone.
      if (video.readyState >= 2 && now - lastScan > 150) {
        lastScan = now;
        var scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
        var text = decodeFrom(video, Math.round(video.videoWidth * scale), Math.round(video.videoHeight * scale));
        if (text && submitDecoded(text)) { return; }
      }
      window.requestAnimationFrame(tick);
    }

    function start() {
      say(root.dataset.textStarting);
      Promise.all([
        loadReader(),
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      ]).then(function (results) {
        stream = results[1];
        video.srcObject = stream;
        video.hidden = false;
        stopButton.hidden = false;
        startButton.hidden = true;
        return video.play();
      }).then(function () {
        say(root.dataset.textScanning);
        window.requestAnimationFrame(tick);
      }).catch(function () {
        stop();
        say(root.dataset.textDenied);
      });
    }

    function stop() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
      video.hidden = true;
      video.srcObject = null;
      stopButton.hidden = true;
      startButton.hidden = !cameraPossible();
    }

    function cameraPossible() {
      return Boolean(window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    }

    if (cameraPossible()) {
      startButton.hidden = false;
      startButton.addEventListener("click", start);
      stopButton.addEventListener("click", function () { stop(); say(""); });
    } else {
      say(root.dataset.textNoCamera);
    }

    return { submitDecoded: submitDecoded, scanImage: scanImage, stop: stop };
  }

  window.shequnQrCamera = { attach: attach };
})();
