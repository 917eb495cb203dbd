// Demande d'aide : n'affiche que le bloc utile (proche ou relais) selon « Pour qui ? ».
(function () {
  "use strict";
  var blocks = { family: document.getElementById("bloc-proche"), relay: document.getElementById("bloc-relais") };
  var radios = document.querySelectorAll("input[name=for_whom]");
  function update() {
    var chosen = document.querySelector("input[name=for_whom]:checked");
    Object.keys(blocks).forEach(function (key) {
      if (blocks[key]) { blocks[key].hidden = !chosen || chosen.value !== key; }
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
