/**
 * The explorer's browser side: one stylesheet and one small script of our own,
 * served from /ui/assets (no CDN, no inline code, so the page's CSP can forbid
 * everything else). The script keeps the bearer token in sessionStorage, fetches
 * the server-rendered page fragments with it, and swaps them in; links, search
 * forms, history and downloads go through it.
 */

export const APP_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0969da;
  --created: #1a7f37; --created-bg: #dafbe1; --deleted: #cf222e; --deleted-bg: #ffebe9;
  --modified: #9a6700; --modified-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
header.top { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: #f6f8fa; }
header.top a.brand { font-weight: 600; color: var(--fg); text-decoration: none; }
header.top .spacer { flex: 1; }
main { padding: 1rem; max-width: 1200px; }
a { color: var(--accent); }
nav.crumbs { color: var(--muted); margin-bottom: .5rem; overflow-wrap: anywhere; }
h1 { font-size: 1.35rem; margin: .2rem 0 .8rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; border: 1px solid var(--line); font-size: 12px; }
.badge.succeeded { color: var(--created); border-color: var(--created); }
.badge.failed { color: var(--deleted); border-color: var(--deleted); }
tr.created td, span.created, td.created { background: var(--created-bg); color: var(--created); }
tr.deleted td, span.deleted, td.deleted { background: var(--deleted-bg); color: var(--deleted); }
tr.modified td, span.modified, td.modified { background: var(--modified-bg); color: var(--modified); }
form.inline { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .5rem 0; }
input[type=search], select, textarea { font: inherit; padding: .3rem .4rem; border: 1px solid var(--line); border-radius: 6px; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 6px; background: #f6f8fa; cursor: pointer; }
.pager { display: flex; gap: 1rem; margin: .5rem 0 1rem; }
.signin { max-width: 40rem; }
.signin textarea { width: 100%; min-height: 7rem; font-family: ui-monospace, monospace; font-size: 12px; }
.error { color: var(--deleted); }
ul.plain { margin: 0; padding-left: 1.1rem; }
`;

export const APP_JS = `(() => {
  "use strict";
  const KEY = "baton-edge.explorer.token";
  const main = document.getElementById("main");
  const signOut = document.getElementById("sign-out");
  const authOn = document.body.dataset.auth === "on";
  const token = () => sessionStorage.getItem(KEY);
  const headers = () => (token() ? { authorization: "Bearer " + token() } : {});
  const fragment = (href) => {
    const url = new URL(href, location.href);
    return "/ui/f" + url.pathname.slice(3) + url.search;
  };

  function signIn(message) {
    const view = document.getElementById("signin-template").content.cloneNode(true);
    view.querySelector("[data-message]").textContent = message;
    main.replaceChildren(view);
    document.title = "Sign in · baton-edge explorer";
    signOut.hidden = true;
  }

  function failure(status, text) {
    const box = document.createElement("div");
    const title = document.createElement("h1");
    title.textContent = "Error " + status;
    const detail = document.createElement("p");
    detail.className = "error";
    try { detail.textContent = JSON.parse(text).detail || text; } catch { detail.textContent = text; }
    box.append(title, detail);
    main.replaceChildren(box);
  }

  async function show(href, push) {
    if (authOn && !token()) return signIn("Sign in with a bearer token (a JWT with the sync:read scope).");
    main.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(fragment(href), { headers: headers() });
    } finally {
      main.removeAttribute("aria-busy");
    }
    if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      return signIn("The token was refused. Sign in again.");
    }
    if (response.status === 403) return signIn("This token lacks the sync:read scope.");
    const text = await response.text();
    if (push) history.pushState(null, "", href);
    if (!response.ok) return failure(response.status, text);
    main.innerHTML = text;
    const heading = main.querySelector("h1");
    document.title = (heading ? heading.textContent + " · " : "") + "baton-edge explorer";
    signOut.hidden = !token();
    window.scrollTo(0, 0);
  }

  async function download(link) {
    const response = await fetch(fragment(link.getAttribute("href")), { headers: headers() });
    if (!response.ok) return failure(response.status, await response.text());
    const url = URL.createObjectURL(await response.blob());
    const save = document.createElement("a");
    save.href = url;
    save.download = link.dataset.download;
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "signin") {
      event.preventDefault();
      const value = form.elements.token.value.trim();
      if (value) {
        sessionStorage.setItem(KEY, value);
        show(location.pathname + location.search, false);
      }
      return;
    }
    if (form.hasAttribute("data-nav")) {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const [name, value] of new FormData(form)) if (value !== "") params.append(name, String(value));
      const query = params.toString();
      show(form.getAttribute("action") + (query ? "?" + query : ""), true);
    }
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const href = link.getAttribute("href") || "";
    if (!href.startsWith("/ui")) return;
    event.preventDefault();
    if (link.hasAttribute("data-download")) download(link);
    else show(href, true);
  });

  signOut.addEventListener("click", () => {
    sessionStorage.removeItem(KEY);
    signIn("Signed out.");
  });
  window.addEventListener("popstate", () => show(location.pathname + location.search, false));
  show(location.pathname + location.search, false);
})();
`;
