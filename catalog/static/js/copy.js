// Adds a "Copy" button beside each read-only address marked data-copy.
// Without JavaScript the address can still be selected and copied by hand.
document.querySelectorAll("input[data-copy]").forEach(function (input) {
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button copy-button";
  button.textContent = input.dataset.copy;
  var status = document.createElement("span");
  status.setAttribute("role", "status");
  status.className = "help";
  button.addEventListener("click", function () {
    input.select();
    var done = function () { status.textContent = input.dataset.copied; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(done);
    } else {
      document.execCommand("copy");
      done();
    }
  });
  input.insertAdjacentElement("afterend", status);
  input.insertAdjacentElement("afterend", button);
});
