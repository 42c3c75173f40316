/* The console's order list: tick every order on the page, or those of one pickup point, for a bulk
   action (mark paid). Without JavaScript each box is ticked by hand, as before. */
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) { return; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=order]"));
  var all = form.querySelector("[data-select-all]");
  var byPoint = form.querySelector("[data-select-point]");
  var count = form.querySelector("[data-ticked-count]");
  var template = form.dataset.tickedText || "";

  function refresh() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (count) { count.textContent = ticked ? template.replace("#", ticked) : ""; }
  }

  if (all) {
    all.disabled = boxes.length === 0;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      if (byPoint) { byPoint.value = ""; }
      refresh();
    });
  }
  if (byPoint) {
    byPoint.addEventListener("change", function () {
      if (!byPoint.value) { return; }
      boxes.forEach(function (box) { box.checked = box.dataset.point === byPoint.value; });
      refresh();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", refresh); });
  refresh();
})();
