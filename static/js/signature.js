/* Signature pad of the signing ceremony: fills the hidden `signature` field with a PNG data URL.
   Keyboard users type their name instead (the `typed_name` field); the server accepts either. */
(function () {
  "use strict";
  function setup(fieldset) {
    var canvas = fieldset.querySelector("canvas");
    var hidden = fieldset.querySelector("input[name=signature]");
    var state = fieldset.querySelector("[data-pad-state]");
    var form = fieldset.closest("form");
    if (!canvas || !hidden || !form || typeof SignaturePad === "undefined") { return; }
    var pad = new SignaturePad(canvas, { minWidth: 0.8, maxWidth: 2.6, penColor: "#0b3d63" });

    function announce() {
      state.textContent = pad.isEmpty() ? "Cadre vide" : "Signature tracée";
    }
    function resize() {
      // Backing store at the device's pixel ratio so that the drawing stays sharp; resizing clears it.
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.isEmpty() ? null : pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data) { pad.fromData(data); }
      announce();
    }
    window.addEventListener("resize", resize);
    resize();
    pad.addEventListener("endStroke", announce);
    fieldset.querySelector("[data-pad-clear]").addEventListener("click", function () {
      pad.clear();
      hidden.value = "";
      announce();
    });
    form.addEventListener("submit", function () {
      hidden.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
  }
  document.querySelectorAll("[data-signature-pad]").forEach(setup);
})();
