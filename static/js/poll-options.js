// Option rows on the console's poll form: "+ Add an option" copies the last row (empty), up to
// the maximum. Without JavaScript the rows shown (filled ones and a few empty) still work.
(function () {
  "use strict";
  var list = document.querySelector("[data-option-rows]");
  var add = document.querySelector("[data-option-add]");
  if (!list || !add) return;
  var max = parseInt(list.getAttribute("data-max"), 10) || 20;
  function count() { return list.querySelectorAll("[data-option-row]").length; }
  add.hidden = count() >= max;
  add.addEventListener("click", function () {
    var rows = list.querySelectorAll("[data-option-row]");
    var row = rows[rows.length - 1].cloneNode(true);
    var n = rows.length + 1;
    var input = row.querySelector("input");
    var label = row.querySelector("label");
    input.value = "";
    input.id = "option-" + n;
    label.setAttribute("for", input.id);
    label.textContent = label.textContent.replace(/\d+/, String(n));
    list.appendChild(row);
    input.focus();
    add.hidden = count() >= max;
  });
})();
