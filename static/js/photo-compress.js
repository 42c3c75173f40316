/* Product photos are made smaller in the browser before upload: each chosen photo is drawn on a
   canvas at most data-compress-max-side pixels on its long side and sent as JPEG at
   data-compress-quality, so a 12 MB phone photo arrives as a few hundred KB. The server still
   checks every file (5 MB, a real image); without this script the original files are sent.

   window.shequnPhotos.compress(file) -> Promise<File>, for tests and other pages. */
(function () {
  "use strict";

  function loadBitmap(file) {
    if (window.createImageBitmap) {
      // "from-image" turns a phone photo upright by its EXIF orientation, as the server would.
      return window.createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return loadImage(file);
      });
    }
    return loadImage(file);
  }

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("unreadable")); };
      image.src = url;
    });
  }

  function compress(file, maxSide, quality) {
    maxSide = maxSide || 1600;
    quality = quality || 0.8;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) { return Promise.resolve(file); }
    return loadBitmap(file).then(function (bitmap) {
      var width = bitmap.width, height = bitmap.height;
      var scale = Math.min(1, maxSide / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG becomes a photo on white, not on black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
    }).then(function (blob) {
      // Keep the original when it was already smaller (a small PNG logo, an already compressed JPEG).
      if (!blob || blob.size >= file.size) { return file; }
      var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
      return new File([blob], name, { type: "image/jpeg", lastModified: Date.now() });
    }).catch(function () { return file; });  // the server says what is wrong with a file it cannot read
  }

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function attach(input) {
    var form = input.form;
    var status = form.querySelector("[data-photo-status]");
    var pending = null;
    var maxSide = parseInt(input.dataset.compressMaxSide, 10);
    var quality = parseFloat(input.dataset.compressQuality);

    input.addEventListener("change", function () {
      var originals = Array.prototype.slice.call(input.files);
      if (!originals.length || !window.DataTransfer) { return; }
      if (status) { status.textContent = status.dataset.working || "…"; }
      pending = Promise.all(originals.map(function (file) { return compress(file, maxSide, quality); }))
        .then(function (files) {
          var transfer = new DataTransfer();
          files.forEach(function (file) { transfer.items.add(file); });
          input.files = transfer.files;
          var before = originals.reduce(function (sum, f) { return sum + f.size; }, 0);
          var after = files.reduce(function (sum, f) { return sum + f.size; }, 0);
          if (status) { status.textContent = size(before) + " → " + size(after); }
          input.dataset.compressed = String(after);
          pending = null;
        });
    });

    // A submit while photos are still being made smaller waits for them.
    form.addEventListener("submit", function (event) {
      if (!pending) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      pending.then(function () {
        if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-compress-max-side]"), attach);
  window.shequnPhotos = { compress: compress };
})();
