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

  function digits(s) {
    // Full-width digits count as digits; spaces and hyphens are dropped.
    return String(s || "").replace(/[０-９]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    }).replace(/\D/g, "");
  }

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

  // Field messages, Japanese first.
  var messages = {
    number: "カード番号をご確認ください。",
    expiry: "有効期限をご確認ください。",
    cvc: "セキュリティコードをご確認ください。"
  };
  var fields = {
    number: [number, document.getElementById("card-number-error")],
    expiry: [month, document.getElementById("card-expiry-error")],
    cvc: [cvc, document.getElementById("card-cvc-error")]
  };
  function setField(name, bad) {
    var f = fields[name];
    f[1].textContent = bad ? messages[name] : "";
    f[1].hidden = !bad;
    if (bad) { f[0].setAttribute("aria-invalid", "true"); } else { f[0].removeAttribute("aria-invalid"); }
  }

  function luhn(s) {
    var sum = 0, dbl = false;
    for (var i = s.length - 1; i >= 0; i--) {
      var d = s.charCodeAt(i) - 48;
      if (dbl) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 === 0;
  }

  // The checks the token script makes, done first so that the shopper
  // learns which field to correct (the script only says "failed").
  function check() {
    var n = digits(number.value), c = digits(cvc.value);
    var now = new Date(), y = 2000 + parseInt(year.value, 10), m = parseInt(month.value, 10);
    var bad = {
      number: n.length < 14 || n.length > 16 || !luhn(n),
      expiry: y < now.getFullYear() || (y === now.getFullYear() && m < now.getMonth() + 1),
      cvc: c.length < 3 || c.length > 4
    };
    var ok = true;
    Object.keys(bad).forEach(function (k) { setField(k, bad[k]); ok = ok && !bad[k]; });
    return ok;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    if (!check()) {
      showError("入力内容をご確認ください。");
      return;
    }
    button.disabled = true;
    if (!window.SpsvApi) {
      showError("カード決済を準備できませんでした。時間をおいてお試しください。");
      return;
    }
    window.SpsvApi.spsvCreateToken(digits(number.value), year.value, month.value, digits(cvc.value), "", "", "", "", "");
  });

  // The token script calls this with (token, maskedCardNo).
  window.onToken = function (token, masked) {
    if (!token) {
      showError("カード情報をご確認ください。");
      return;
    }
    document.getElementById("token").value = token;
    document.getElementById("masked").value = masked || "";
    number.value = "";
    cvc.value = "";
    form.submit();
  };
})();
