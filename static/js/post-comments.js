// Post page: "Reply" fills the comment form's parent and says to whom; deleting asks first.
(function () {
  var form = document.getElementById("comment-form");
  document.addEventListener("click", function (event) {
    var reply = event.target.closest("[data-reply]");
    if (reply && form) {
      form.querySelector("[name=parent]").value = reply.getAttribute("data-reply");
      var note = form.querySelector("[data-replying]");
      note.querySelector("b").textContent = reply.getAttribute("data-name");
      note.hidden = false;
      form.querySelector("textarea").focus();
    }
    if (event.target.closest("[data-cancel-reply]") && form) {
      form.querySelector("[name=parent]").value = "";
      form.querySelector("[data-replying]").hidden = true;
    }
    var confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
