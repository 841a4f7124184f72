/* Suggestions as you type for every search box (the WAI-ARIA combobox pattern).
 *
 * Progressive enhancement: the boxes are plain forms that submit without this
 * script. It turns each input carrying data-suggest into a combobox of the
 * listbox named by data-listbox, asks /api/suggest (debounced, the previous
 * request aborted) and lets Up/Down/Enter/Escape or the mouse pick a
 * suggestion, which is then searched with the form's other fields. Text is only
 * ever set with textContent.
 */
(function () {
  "use strict";

  var DELAY = 150; // ms of quiet typing before asking

  // Lower case without diacritics: one character for each (NFC) character typed.
  function fold(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase();
  }

  function setup(input) {
    var listbox = document.getElementById(input.getAttribute("data-listbox"));
    var url = input.getAttribute("data-suggest");
    if (!listbox || !url || !window.fetch) {
      return;
    }
    var form = input.form;
    var status = document.createElement("div");
    var options = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var asked = null;

    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    listbox.parentNode.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("aria-expanded", "false");

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(i) {
      options.forEach(function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      active = i;
      if (i < 0) {
        input.removeAttribute("aria-activedescendant");
      } else {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(i) {
      input.value = options[i].getAttribute("data-value");
      close();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }

    function option(text, i, typed) {
      var li = document.createElement("li");
      li.id = listbox.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-value", text);
      // The part already typed in bold (accents aside), as search engines show it.
      var n = fold(text).indexOf(fold(typed)) === 0 ? fold(typed).length : 0;
      if (n > 0) {
        var b = document.createElement("span");
        b.className = "typed";
        b.textContent = text.slice(0, n);
        li.appendChild(b);
      }
      li.appendChild(document.createTextNode(text.slice(n)));
      li.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the box
      });
      li.addEventListener("click", function () {
        choose(i);
      });
      return li;
    }

    function show(data) {
      var texts = data.completions.map(function (c) {
        return c.text;
      });
      // Nothing to complete (a number, say): the query with its accents restored.
      if (!texts.length && data.restored) {
        texts.push(data.restored);
      }
      listbox.textContent = "";
      options = texts.map(function (text, i) {
        return option(text, i, data.query);
      });
      options.forEach(function (li) {
        listbox.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (options.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = options.length + " gợi ý, dùng phím mũi tên lên, xuống để chọn.";
      } else {
        close();
        status.textContent = "";
      }
    }

    function ask() {
      var q = input.value;
      if (!q.trim()) {
        listbox.textContent = "";
        options = [];
        close();
        return;
      }
      if (q === asked) {
        return;
      }
      if (pending) {
        pending.abort();
      }
      var controller = window.AbortController ? new AbortController() : null;
      pending = controller;
      asked = q;
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          // An answer to what the box no longer holds is dropped.
          if (data && input.value === q && document.activeElement === input) {
            show(data);
          }
        })
        .catch(function () {
          asked = null; // aborted or offline: the form still works
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      if (event.isComposing) {
        return; // an input method (Telex, VNI) is still composing the letter
      }
      var open = !listbox.hidden && options.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) {
          return;
        }
        event.preventDefault();
        if (!open) {
          listbox.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= options.length) {
          next = -1;
        } else if (next < -1) {
          next = options.length - 1;
        }
        highlight(next);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", close);
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), setup);
})();
