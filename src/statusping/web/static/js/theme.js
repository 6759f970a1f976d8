// The dark mode toggle. The choice is kept in localStorage and in the statusping_theme cookie, so the
// server puts class="dark" / class="light" on <html> of the next page before it paints (the CSP
// forbids the usual inline script for that). Without a choice the system preference decides.
// Also closes the header's disclosure menu on Escape or a click outside it.
(function () {
  "use strict";
  var KEY = "statusping_theme";
  var root = document.documentElement;
  var system = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }

  function remember(choice) {
    try { window.localStorage.setItem(KEY, choice); } catch (e) { /* private mode: the cookie still works */ }
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = KEY + "=" + choice + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
  }

  function isDark() {
    if (root.classList.contains("dark")) return true;
    if (root.classList.contains("light")) return false;
    return system.matches;
  }

  function apply(choice) {
    root.classList.remove("light", "dark");
    root.classList.add(choice);
    var scheme = document.querySelector('meta[name="color-scheme"]');
    if (scheme) scheme.setAttribute("content", choice);
  }

  var toggles = document.querySelectorAll("[data-theme-toggle]");

  function show() {
    var dark = isDark();
    toggles.forEach(function (button) {
      button.setAttribute("aria-pressed", dark ? "true" : "false");
    });
  }

  // The cookie is the truth when present (the settings page may have set it, to "system" too);
  // a choice kept only in localStorage (cookie cleared or expired) is restored.
  var cookie = document.cookie.split("; ").filter(function (c) { return c.indexOf(KEY + "=") === 0; })[0];
  var saved = stored();
  if (cookie) {
    var value = cookie.slice(KEY.length + 1);
    if (value !== saved) {
      try { window.localStorage.setItem(KEY, value); } catch (e) { /* ignore */ }
    }
  } else if (saved === "dark" || saved === "light") {
    apply(saved);
    remember(saved);
  }

  toggles.forEach(function (button) {
    button.classList.remove("hidden");
    button.addEventListener("click", function () {
      var choice = isDark() ? "light" : "dark";
      apply(choice);
      remember(choice);
      show();
    });
  });
  show();
  system.addEventListener("change", show);

  var menus = document.querySelectorAll("details[data-menu]");
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus.forEach(function (menu) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
})();
