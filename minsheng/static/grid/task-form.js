// A task's form on the phone. Everything typed, the photo and the drawn signature are kept
// as a draft in localStorage (one per worker and task) with the submission's idempotency
// key, made here when the form is first opened. The form is sent with fetch(): when the
// network fails the draft stays, marked "not yet sent", and "Send again" resends it with the
// SAME key, so the server records it once however often it arrives. The server's
// confirmation (or its page showing the task done) clears the draft.
(function () {
  "use strict";
  const msg = (name) => (window.msGridMsg ? window.msGridMsg(name) : name);

  const done = document.querySelector("[data-task-done]");
  if (done) {
    // the server shows the task done: nothing of it is left to send from this phone
    localStorage.removeItem(done.dataset.draftKey);
    return;
  }
  const form = document.querySelector("form[data-task-form]");
  if (!form) return;

  const storeKey = form.dataset.draftKey;
  const panel = document.querySelector("[data-send-state]");
  const panelTitle = panel.querySelector("[data-state-title]");
  const panelDetail = panel.querySelector("[data-state-detail]");
  const retry = panel.querySelector("[data-retry]");
  const submit = form.querySelector("[data-submit]");
  const SKIP = new Set(["csrfmiddlewaretoken", "key"]);

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function load() {
    try {
      return JSON.parse(localStorage.getItem(storeKey));
    } catch (err) {
      return null;
    }
  }

  let draft = load();
  const fresh = !draft || !draft.key;
  if (fresh) {
    draft = { key: newKey(), state: "draft", fields: {}, photo: null, signature: null };
  }
  form.elements.key.value = draft.key;

  // -- the draft ------------------------------------------------------------------------------
  function collect() {
    const fields = {};
    for (const el of form.elements) {
      if (!el.name || SKIP.has(el.name) || el.type === "file" || el.type === "submit") continue;
      if (el.type === "checkbox") {
        fields[el.name] = fields[el.name] || [];
        if (el.checked) fields[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (el.checked) fields[el.name] = el.value;
      } else {
        fields[el.name] = el.value;
      }
    }
    return fields;
  }

  function restore(fields) {
    for (const el of form.elements) {
      if (!el.name || !(el.name in fields) || el.type === "file") continue;
      const value = fields[el.name];
      if (el.type === "checkbox") el.checked = Array.isArray(value) && value.includes(el.value);
      else if (el.type === "radio") el.checked = el.value === value;
      else el.value = value;
    }
  }

  function save() {
    draft.fields = collect();
    draft.savedAt = new Date().toISOString();
    try {
      localStorage.setItem(storeKey, JSON.stringify(draft));
      return true;
    } catch (err) {
      // over the phone's storage quota: keep the draft without its photo
      try {
        localStorage.setItem(storeKey, JSON.stringify({ ...draft, photo: null }));
      } catch (err2) {
        // nothing can be kept
      }
      showState("warning", msg("too-big"), "");
      return false;
    }
  }

  // -- the photo: made smaller on the phone (a 12 MP picture does not travel well) --------------
  const photoInput = form.querySelector('input[type=file][name="photo"]');
  const preview = form.querySelector("[data-photo-preview]");

  function readAsDataURL(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  async function shrink(file) {
    const original = await readAsDataURL(file);
    return new Promise((resolve) => {
      const img = new Image();
      img.onload = () => {
        const max = 1280;
        const scale = Math.min(1, max / Math.max(img.naturalWidth, img.naturalHeight));
        if (scale === 1 && file.size <= 600 * 1024) {
          resolve(original);
          return;
        }
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        resolve(canvas.toDataURL("image/jpeg", 0.8));
      };
      img.onerror = () => resolve(original); // not an image: the server says so
      img.src = original;
    });
  }

  function showPhoto() {
    if (!preview) return;
    preview.hidden = !draft.photo;
    if (draft.photo) preview.src = draft.photo;
  }

  if (photoInput) {
    photoInput.addEventListener("change", async () => {
      const file = photoInput.files[0];
      draft.photo = file ? await shrink(file) : null;
      showPhoto();
      save();
    });
  }

  // -- the signature, drawn with a finger -------------------------------------------------------
  const pad = form.querySelector("[data-signature]");
  let canvas = null;
  if (pad) {
    pad.hidden = false;
    const fallback = form.querySelector("[data-file-fallback]");
    if (fallback) fallback.hidden = true;
    canvas = pad.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    const ink = () => {
      ctx.lineWidth = 4;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
    };
    const blank = () => {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    };
    blank();
    ink();
    const point = (event) => {
      const rect = canvas.getBoundingClientRect();
      return [
        ((event.clientX - rect.left) * canvas.width) / rect.width,
        ((event.clientY - rect.top) * canvas.height) / rect.height,
      ];
    };
    let drawing = false;
    canvas.addEventListener("pointerdown", (event) => {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = point(event);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 0.1, y + 0.1);
      ctx.stroke();
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const [x, y] = point(event);
      ctx.lineTo(x, y);
      ctx.stroke();
      event.preventDefault();
    });
    const finish = () => {
      if (!drawing) return;
      drawing = false;
      draft.signature = canvas.toDataURL("image/png");
      save();
    };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    pad.querySelector("[data-signature-clear]").addEventListener("click", () => {
      blank();
      ink();
      draft.signature = null;
      save();
    });
    if (draft.signature) {
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      img.src = draft.signature;
    }
  }

  // -- the state of the submission ------------------------------------------------------------
  function showState(kind, title, detail, { canRetry = false } = {}) {
    panel.className = `alert phone-send-state alert-${kind}`;
    panel.dataset.state = kind;
    panelTitle.textContent = title;
    panelDetail.textContent = detail;
    retry.hidden = !canRetry;
    panel.hidden = false;
  }

  function showUnsent() {
    const when = draft.attemptedAt ? new Date(draft.attemptedAt).toLocaleString() : "";
    const detail = [draft.error, msg("unsent-detail"), when && `${msg("last-attempt")} ${when}`]
      .filter(Boolean)
      .join(" ");
    panel.dataset.sendState = "unsent";
    showState("warning", msg("unsent"), detail, { canRetry: true });
  }

  function showErrors(errors) {
    for (const el of form.querySelectorAll("[data-errors-for]")) {
      const list = errors[el.dataset.errorsFor] || [];
      el.textContent = list.join("；");
    }
    const first = Object.keys(errors)[0];
    const target = first && form.querySelector(`[data-field="${first}"]`);
    if (target) target.scrollIntoView({ block: "center" });
  }

  function dataURLToBlob(url) {
    const [head, data] = url.split(",");
    const type = head.slice(5).split(";")[0];
    const bytes = atob(data);
    const out = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i += 1) out[i] = bytes.charCodeAt(i);
    return new Blob([out], { type });
  }

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
    return form.elements.csrfmiddlewaretoken.value;
  }

  let sending = false;
  let typing = null;

  async function send() {
    if (sending) return;
    sending = true;
    clearTimeout(typing);
    save();
    const body = new FormData();
    for (const [name, value] of Object.entries(draft.fields)) {
      if (Array.isArray(value)) value.forEach((v) => body.append(name, v));
      else body.append(name, value);
    }
    body.append("key", draft.key);
    body.append("csrfmiddlewaretoken", csrfToken());
    if (draft.photo) {
      const blob = dataURLToBlob(draft.photo);
      body.append("photo", blob, blob.type === "image/png" ? "photo.png" : "photo.jpg");
    } else if (photoInput && photoInput.files[0]) {
      body.append("photo", photoInput.files[0]); // kept out of the draft (too large)
    }
    if (draft.signature) body.append("signature", dataURLToBlob(draft.signature), "signature.png");
    submit.disabled = true;
    retry.disabled = true;
    showState("info", msg("sending"), "");
    let response = null;
    let answer = null;
    try {
      response = await fetch(form.action || window.location.pathname, {
        method: "POST",
        body,
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      if ((response.headers.get("Content-Type") || "").includes("application/json")) {
        answer = await response.json();
      }
    } catch (err) {
      answer = null;
    } finally {
      sending = false;
      submit.disabled = false;
      retry.disabled = false;
    }
    draft.attemptedAt = new Date().toISOString();
    if (answer && answer.ok) {
      // confirmed by the server: the draft has done its work
      localStorage.removeItem(storeKey);
      window.location.assign(answer.url);
      return;
    }
    if (answer && response.status === 409) {
      localStorage.removeItem(storeKey);
      form.hidden = true;
      showState("danger", msg("refused"), answer.message);
      return;
    }
    if (answer && response.status === 400 && answer.errors) {
      draft.state = "draft";
      draft.error = "";
      save();
      showErrors(answer.errors);
      showState("danger", msg("invalid"), answer.message);
      return;
    }
    // not confirmed: no network, a proxy's error page, the login page after a timeout…
    draft.state = "unsent";
    if (!response) draft.error = msg("no-network");
    else if (answer && answer.message) draft.error = answer.message;
    else draft.error = `${msg("not-confirmed")} (HTTP ${response.status})`;
    save();
    showUnsent();
  }

  // -- wiring ---------------------------------------------------------------------------------
  restore(draft.fields || {});
  showPhoto();
  if (fresh) save();
  const note = form.querySelector("[data-draft-note]");
  if (note) note.hidden = false;
  if (draft.state === "unsent") showUnsent();
  form.addEventListener("input", () => {
    // kept as one types, not at every key (the draft may hold a photo)
    clearTimeout(typing);
    typing = setTimeout(save, 400);
  });
  form.addEventListener("change", save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  retry.addEventListener("click", send);
})();
