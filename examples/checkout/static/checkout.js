// Card form of the checkout and the member page. The card number, expiry and security code
// go to the gateway's token script only; the shop receives the token.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) { return; }
  var number = document.getElementById("card-number");
  var month = document.getElementById("exp-month");
  var year = document.getElementById("exp-year");
  var cvc = document.getElementById("card-cvc");
  var payType = document.getElementById("paytype");
  var brand = document.getElementById("brand");
  var errorBox = document.getElementById("card-error");
  var button = form.querySelector("button[type=submit]");

  function digits(s) { return String(s || "").replace(/\D/g, ""); }

  // Installment choices follow the card number as it is typed. The rule is
  // the SDK's (escott.PayTypeChoices), asked for with the first two digits:
  // all it needs, and no more of the number than that leaves the page.
  var current = null;
  function updateChoices() {
    var prefix = digits(number.value).slice(0, 2);
    if (prefix === current) { return; }
    current = prefix;
    fetch("/paytypes?prefix=" + encodeURIComponent(prefix))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (prefix !== current) { return; } // a later answer is on its way
        brand.textContent = data.brand || "";
        if (!payType) { return; } // the member page stores a card: no payment
        var keep = payType.value;
        payType.textContent = "";
        data.choices.forEach(function (c) {
          var o = document.createElement("option");
          o.value = c.value;
          o.textContent = c.label;
          o.selected = c.value === keep;
          payType.appendChild(o);
        });
        payType.dataset.prefix = prefix; // lets tests wait for the update
      });
  }
  number.addEventListener("input", updateChoices);
  updateChoices();

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    if (!window.SpsvApi) {
      showError("カード決済を準備できませんでした。 (The token script did not load.)");
      return;
    }
    window.SpsvApi.spsvCreateToken(digits(number.value), year.value, month.value, cvc.value, "", "", "", "", "");
  });

  // The token script calls this with (token, maskedCardNo).
  window.onToken = function (token, masked) {
    if (!token) {
      showError("カード情報をご確認ください。 (Please check the card details.)");
      return;
    }
    document.getElementById("token").value = token;
    document.getElementById("masked").value = masked || "";
    number.value = "";
    cvc.value = "";
    form.submit();
  };
})();
