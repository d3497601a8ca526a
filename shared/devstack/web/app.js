// jokebox device simulator: builds real Alexa requests, posts them to the
// skill at /alexa, and acts as the device's AudioPlayer for the directives
// that come back. Plain JavaScript, no build step.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");

  // ---- device and player state ------------------------------------------

  const state = {
    skillId: "amzn1.ask.skill.dev-simulator",
    deviceId: persistent("jokebox.deviceId", () => "amzn1.ask.device.DEV" + hex(24)),
    userId: persistent("jokebox.userId", () => "amzn1.ask.account.DEV" + hex(24)),
    session: null, // {id, fresh} while a session is open
    activity: "IDLE", // context.AudioPlayer.playerActivity
    token: "", // token of the current (or last) stream
    offsetMs: 0, // offset recorded when playback stopped or finished
    current: null, // {token, url, metadata, startedSent, nearlySent}
    queue: [], // enqueued items, played in turn
    speak: true,
    requests: 0,
    errors: 0,
    lastRequest: null,
    lastResponse: null,
    lastSpeech: "",
    playlists: [],
    ready: false,
    stoppedByDirective: false,
    loading: false, // start() is loading the current stream: audio.paused is true until it plays
    stopped: false, // a Stop or ClearQueue CLEAR_ALL came since the last stream started: no ENQUEUE until the next Play
    pauseAsked: false, // the user's last request was a pause: a stop shows as "Paused"
    history: [], // every request and its response: {id, auto, req, status, resp}
    selected: null, // the history entry shown in the panes
    follow: false, // show automatic AudioPlayer events in the panes too
    info: null, // the last /api/info
  };

  // ---- the page's own words, in the chosen locale's language --------------

  const words = {
    en: {
      subtitle: "device simulator", locale: "Locale", screen: "Screen", speak: "Speak",
      libraryTitle: "What the indexer has published", loading: "loading…", unreachable: "server unreachable",
      files: "files", playlists: "playlists", rejected: "rejected",
      IDLE: "Nothing playing", PLAYING: "Now playing", PAUSED: "Paused", STOPPED: "Stopped", FINISHED: "Finished",
      BUFFER_UNDERRUN: "Buffering", noScreen: "no screen",
      devPrevious: "Previous", devPlay: "Play", devPause: "Pause", devNext: "Next",
      say: "Say", open: "Open jokebox", joke: "Tell me a joke", library: "(library)", playPlaylist: "Play playlist",
      pause: "Pause", resume: "Resume", next: "Next", previous: "Previous", startOver: "Start over", repeat: "Repeat",
      loop: "Loop on", shuffle: "Shuffle on", help: "Help", home: "Home", cancel: "Cancel", stop: "Stop",
      request: "Request", response: "Response", automatic: "automatic", events: "Events", clear: "clear",
      follow: "show automatic events in the panes", logHint: "Click a request or response to show it above.",
      empty: "empty", open_: "open", closed: "closed", noBody: "(empty body)",
      kindOut: "request", kindIn: "response", kindAudio: "player", kindError: "error",
      placeholder: "Say something: {play}“pause”, “next”, “tell me a joke”…", playExample: "“play {name}”, ",
      rejectedTitle: "Not played",
      deviceLabel: "Device", device1: "Echo 1", device2: "Echo 2 (same account)", otherSkill: "Another skill played",
      otherSkillTitle: "Music from another skill played on this device: it no longer sends jokebox's token",
    },
    es: {
      subtitle: "simulador de dispositivo", locale: "Idioma", screen: "Pantalla", speak: "Voz",
      libraryTitle: "Lo que ha publicado el indexador", loading: "cargando…", unreachable: "no se puede conectar con el servidor",
      files: "archivos", playlists: "listas", rejected: "rechazados",
      IDLE: "Nada en reproducción", PLAYING: "Reproduciendo", PAUSED: "En pausa", STOPPED: "Detenido", FINISHED: "Terminado",
      BUFFER_UNDERRUN: "Cargando", noScreen: "sin pantalla",
      devPrevious: "Anterior", devPlay: "Reproducir", devPause: "Pausa", devNext: "Siguiente",
      say: "Decir", open: "Abrir jokebox", joke: "Cuéntame un chiste", library: "(biblioteca)", playPlaylist: "Poner lista",
      pause: "Pausa", resume: "Continuar", next: "Siguiente", previous: "Anterior", startOver: "Desde el principio", repeat: "Repetir",
      loop: "Bucle", shuffle: "Aleatorio", help: "Ayuda", home: "Inicio", cancel: "Cancelar", stop: "Parar",
      request: "Petición", response: "Respuesta", automatic: "automática", events: "Eventos", clear: "borrar",
      follow: "mostrar los eventos automáticos arriba", logHint: "Pulsa una petición o respuesta para verla arriba.",
      empty: "vacía", open_: "abierta", closed: "cerrada", noBody: "(cuerpo vacío)",
      kindOut: "petición", kindIn: "respuesta", kindAudio: "reproductor", kindError: "error",
      placeholder: "Di algo: {play}“pausa”, “siguiente”, “cuéntame un chiste”…", playExample: "“pon {name}”, ",
      rejectedTitle: "No se reproducen",
      deviceLabel: "Dispositivo", device1: "Echo 1", device2: "Echo 2 (misma cuenta)", otherSkill: "Ha sonado otra skill",
      otherSkillTitle: "Ha sonado música de otra skill en este dispositivo: ya no envía el token de jokebox",
    },
  };

  // reasons are the Spanish words for the reasons the indexer and the
  // syncer give (in English) for the files they do not play; a reason not
  // here is shown as it came.
  const reasons = {
    es: [
      [/^zero-byte file$/, "archivo vacío"],
      [/^unsupported file type$/, "tipo de archivo no admitido"],
      [/^truncated ADTS AAC stream$/, "flujo AAC (ADTS) cortado"],
      [/^not an ADTS AAC stream$/, "no es un flujo AAC (ADTS)"],
      [/^truncated ID3 tag$/, "etiqueta ID3 cortada"],
      [/^malformed ID3 tag$/, "etiqueta ID3 mal formada"],
      [/^ID3 tag runs past end of file$/, "la etiqueta ID3 pasa del final del archivo"],
      [/^ID3 tag with no audio$/, "etiqueta ID3 sin audio"],
      [/^truncated MP3 stream$/, "flujo MP3 cortado"],
      [/^not an MP3 stream$/, "no es un flujo MP3"],
      [/^not an MP4 file$/, "no es un archivo MP4"],
      [/^malformed MP4 ftyp box$/, "caja ftyp de MP4 mal formada"],
      [/^DRM-protected audio$/, "audio protegido con DRM"],
      [/^unsupported MP4 brand (.+)$/, "marca de MP4 no admitida: $1"],
      [/^truncated MP4 file$/, "archivo MP4 cortado"],
      [/^malformed MP4 box$/, "caja de MP4 mal formada"],
      [/^MP4 file without a moov box$/, "archivo MP4 sin caja moov"],
      [/^([\d.]+) kbps: Alexa plays (\d+)–(\d+) kbps$/, "$1 kbps: Alexa reproduce de $2 a $3 kbps"],
      [/^same key (".*") as (.+)$/, "la misma clave $1 que $2"],
      [/^not an audio file \(no extension\)$/, "no es un archivo de audio (sin extensión)"],
      [/^not an audio file \((.+)\)$/, "no es un archivo de audio ($1)"],
      [/^(\w+) is not a format Alexa plays$/, "$1 no es un formato que Alexa reproduzca"],
      [/^conversion is off$/, "la conversión está desactivada"],
      [/^needs ffmpeg to convert$/, "hace falta ffmpeg para convertirlo"],
      [/^normalizing needs ffmpeg$/, "normalizar necesita ffmpeg"],
      [/^a link that leads out of the media folder \(or to nothing\)$/, "un enlace que sale de la carpeta (o no lleva a nada)"],
      [/^a link out of the folder \(to (.+)\)$/, "un enlace que sale de la carpeta (a $1)"],
      [/^a link to nothing \((.+)\)$/, "un enlace que no lleva a nada ($1)"],
      [/^not a regular file$/, "no es un archivo normal"],
      [/^name cannot be a key: (.+)$/, "el nombre no puede ser una clave: $1"],
      [/^cannot read: (.+)$/, "no se puede leer: $1"],
    ],
  };
  // reason is a file's reason in the locale's language, part by part
  // ("WAV is not a format Alexa plays; conversion is off").
  function reason(text) {
    return text.split("; ").map((part) => {
      for (const [re, words] of reasons[lang()] || []) {
        if (re.test(part)) return part.replace(re, words);
      }
      return part;
    }).join("; ");
  }
  // spokenName is how a folder is said ("Cuentos_de-Miedo" → "cuentos de miedo"), as shared/spoken.Form.
  const spokenName = (name) => name.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, " ").trim();
  // placeholder suggests a real playlist, the first one, or none when there is none.
  function placeholder() {
    const first = state.playlists[0];
    const play = first ? t("playExample").replace("{name}", spokenName(first.name)) : "";
    $("utterance").placeholder = t("placeholder").replace("{play}", play);
  }
  const lang = () => (locale().startsWith("es") ? "es" : "en");
  const t = (key) => words[lang()][key] ?? words.en[key] ?? key;

  // applyWords puts the page's labels in the locale's language.
  function applyWords() {
    document.documentElement.lang = lang();
    document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
    document.querySelectorAll("[data-i18n-aria]").forEach((e) => { e.setAttribute("aria-label", t(e.dataset.i18nAria)); });
    document.querySelectorAll("[data-i18n-title]").forEach((e) => { e.title = t(e.dataset.i18nTitle); });
    placeholder();
  }

  function persistent(key, make) {
    try {
      let v = localStorage.getItem(key);
      if (!v) { v = make(); localStorage.setItem(key, v); }
      return v;
    } catch { return make(); }
  }
  function hex(n) {
    const b = new Uint8Array(n / 2);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("").toUpperCase();
  }
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const h = hex(32).toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
  const locale = () => $("locale").value;
  const screenOn = () => $("screen").checked;

  function currentOffset() {
    if (state.current && audio.src && !isNaN(audio.currentTime)) return Math.round(audio.currentTime * 1000);
    return state.offsetMs;
  }

  // ---- building requests -------------------------------------------------

  function timestamp() {
    return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  function envelope(body, withSession) {
    const interfaces = { AudioPlayer: {} };
    if (screenOn()) interfaces.Display = { templateVersion: "1.0", markupVersion: "1.0" };
    const player = { playerActivity: state.activity };
    if (state.token) {
      player.token = state.token;
      player.offsetInMilliseconds = currentOffset();
    }
    const env = {
      version: "1.0",
      context: {
        System: {
          application: { applicationId: state.skillId },
          user: { userId: state.userId },
          device: { deviceId: state.deviceId, supportedInterfaces: interfaces },
          apiEndpoint: "https://api.amazonalexa.com",
          apiAccessToken: "dev-simulator",
        },
        AudioPlayer: player,
      },
      request: Object.assign(
        { type: body.type, requestId: "amzn1.echo-api.request." + uuid(), timestamp: timestamp(), locale: locale() },
        body,
      ),
    };
    if (withSession) {
      if (!state.session) state.session = { id: "amzn1.echo-api.session." + uuid(), fresh: true };
      env.session = {
        new: state.session.fresh,
        sessionId: state.session.id,
        application: { applicationId: state.skillId },
        user: { userId: state.userId },
        attributes: {},
      };
      state.session.fresh = false;
      // Put the order back: version, session, context, request.
      return { version: env.version, session: env.session, context: env.context, request: env.request };
    }
    return env;
  }

  function intentBody(name, slots) {
    const intent = { name, confirmationStatus: "NONE" };
    if (name === "PlayJokeIntent") {
      const playlist = { name: "playlist", confirmationStatus: "NONE" };
      if (slots && slots.playlist) {
        playlist.value = slots.playlist;
        playlist.source = "USER";
      }
      intent.slots = { playlist };
    }
    return { type: "IntentRequest", dialogState: "COMPLETED", intent };
  }

  // ---- talking to the skill ---------------------------------------------

  let chain = Promise.resolve();

  // send posts a request (serialized, so the log reads in order) and then
  // carries out its response.
  function send(body, withSession) {
    const p = chain.then(() => post(body, withSession));
    chain = p.catch(() => {});
    return p.then((resp) => (resp ? handleResponse(body.type, resp) : null));
  }

  // Automatic requests: what the device's player reports on its own.
  const isAutomatic = (type) => type.startsWith("AudioPlayer.");

  async function post(body, withSession) {
    const req = envelope(body, withSession);
    state.requests++;
    state.lastRequest = req;
    const entry = { id: state.history.length + 1, auto: isAutomatic(req.request.type), req, status: 0, resp: undefined };
    state.history.push(entry);
    if (!entry.auto) state.pauseAsked = isPause(req.request);
    if (!entry.auto || state.follow) select(entry);
    logEvent("out", "→ " + describe(req.request), entry);
    ring("thinking");
    let res, text;
    try {
      res = await fetch("/alexa", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
      text = await res.text();
    } catch (e) {
      return fail("network error: " + e.message);
    } finally {
      ring(idleRing());
    }
    let resp;
    try { resp = text ? JSON.parse(text) : {}; } catch { resp = { raw: text }; }
    state.lastResponse = resp;
    entry.status = res.status;
    entry.resp = text ? resp : null;
    if (state.selected === entry) showEntry(entry);
    if (!res.ok) return fail(`skill answered ${res.status}: ${resp.error || text}`, entry);
    const r = resp.response || {};
    const kinds = (r.directives || []).map((d) => d.type.replace("AudioPlayer.", "") + (d.playBehavior ? " " + d.playBehavior : ""));
    if (r.outputSpeech) kinds.unshift("speech");
    logEvent("in", "← " + (kinds.join(", ") || "empty response"), entry);
    return resp;
  }

  const isPause = (r) => (r.intent && r.intent.name === "AMAZON.PauseIntent") || r.type === "PlaybackController.PauseCommandIssued";

  // select shows a history entry in the Request and Response panes and
  // marks its lines in the events log.
  function select(entry) {
    state.selected = entry;
    showEntry(entry);
    document.querySelectorAll("#log li.selected").forEach((li) => li.classList.remove("selected"));
    document.querySelectorAll(`#log li[data-entry="${entry.id}"]`).forEach((li) => li.classList.add("selected"));
  }

  function showEntry(entry) {
    const req = entry.req;
    showJSON("reqJSON", req);
    $("reqType").textContent = "#" + entry.id + " " + req.request.type + (req.request.intent ? " · " + req.request.intent.name : "");
    $("reqAuto").textContent = entry.auto ? t("automatic") : "";
    const status = $("respStatus");
    if (!entry.status) {
      status.textContent = "…";
      status.classList.remove("bad");
      showJSON("respJSON", "…");
      return;
    }
    const ok = entry.status >= 200 && entry.status < 300;
    status.textContent = entry.status + (ok ? " OK" : "");
    status.classList.toggle("bad", !ok);
    showJSON("respJSON", entry.resp === null ? t("noBody") : entry.resp);
  }

  function fail(msg, entry) {
    state.errors++;
    logEvent("error", msg, entry);
    ring("error");
    setTimeout(() => ring(idleRing()), 1200);
    return null;
  }

  function describe(r) {
    let s = r.type;
    if (r.intent) {
      s += " " + r.intent.name;
      const v = r.intent.slots && r.intent.slots.playlist && r.intent.slots.playlist.value;
      if (v) s += ` (playlist=${v})`;
    }
    if (r.token) s += ` token=${short(r.token)}`;
    if (r.offsetInMilliseconds !== undefined) s += ` offset=${r.offsetInMilliseconds}ms`;
    if (r.error) s += ` ${r.error.type}`;
    return s;
  }
  const short = (t) => (t.length > 24 ? t.slice(0, 10) + "…" + t.slice(-10) : t);

  async function handleResponse(type, resp) {
    const r = resp.response || {};
    const isUserRequest = type === "LaunchRequest" || type === "IntentRequest";
    if (isUserRequest) {
      if (r.shouldEndSession === false) {
        // The session stays open and Alexa listens.
      } else {
        state.session = null;
      }
    }
    render();
    const directives = r.directives || [];
    const speech = r.outputSpeech && (r.outputSpeech.text || stripSSML(r.outputSpeech.ssml || ""));
    if (isUserRequest || type.startsWith("PlaybackController.")) {
      // The bubble shows only the latest answer's speech.
      if (!speech) silence();
    }
    if (speech) {
      // A device pauses its audio while it speaks, then carries on with the
      // directives.
      await say(speech);
    }
    for (const d of directives) await directive(d);
    render();
    return resp;
  }

  const stripSSML = (s) => s.replace(/<[^>]+>/g, "");

  // ---- speech ------------------------------------------------------------

  function silence() {
    state.lastSpeech = "";
    $("speech").hidden = true;
    $("speechText").textContent = "";
    if (window.speechSynthesis) speechSynthesis.cancel();
  }

  function say(text) {
    state.lastSpeech = text;
    $("speech").hidden = false;
    $("speechText").textContent = text;
    if (!state.speak || !("speechSynthesis" in window)) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const finish = () => { if (!done) { done = true; ring(idleRing()); resolve(); } };
      try {
        const u = new SpeechSynthesisUtterance(text);
        u.lang = locale();
        const voice = speechSynthesis.getVoices().find((v) => v.lang === locale()) ||
          speechSynthesis.getVoices().find((v) => v.lang.slice(0, 2) === locale().slice(0, 2));
        if (voice) u.voice = voice;
        u.onend = finish;
        u.onerror = finish;
        ring("speaking");
        speechSynthesis.cancel();
        speechSynthesis.speak(u);
      } catch { finish(); }
      // Headless browsers may never finish (or start) speaking.
      setTimeout(finish, Math.min(1500 + text.length * 70, 10000));
    });
  }

  // ---- the audio player --------------------------------------------------

  async function directive(d) {
    switch (d.type) {
      case "AudioPlayer.Play": return play(d);
      case "AudioPlayer.Stop": return stop(true);
      case "AudioPlayer.ClearQueue":
        state.queue = [];
        logEvent("audio", "queue cleared (" + d.clearBehavior + ")");
        if (d.clearBehavior === "CLEAR_ALL") return stop(true);
        return;
      default:
        logEvent("error", "unsupported directive " + d.type);
    }
  }

  function play(d) {
    const item = d.audioItem || {};
    const stream = item.stream || {};
    const entry = { token: stream.token, url: stream.url, offsetMs: stream.offsetInMilliseconds || 0, metadata: item.metadata || {}, expectedPreviousToken: stream.expectedPreviousToken };
    if (!entry.url || !entry.token) return fail("Play without stream url or token");
    switch (d.playBehavior) {
      case "ENQUEUE": {
        if (state.stopped) {
          // An answer to a request sent before the Stop (a
          // PlaybackNearlyFinished): the device cleared its queue and
          // stays stopped.
          logEvent("audio", "ENQUEUE after Stop ignored: " + label(entry));
          return;
        }
        const last = state.queue.length ? state.queue[state.queue.length - 1].token : state.token;
        if (entry.expectedPreviousToken !== last) {
          logEvent("error", `ENQUEUE ignored: expectedPreviousToken ${short(entry.expectedPreviousToken || "(none)")} ≠ ${short(last || "(none)")}`);
          return;
        }
        state.queue.push(entry);
        logEvent("audio", "enqueued " + label(entry));
        // Enqueued while nothing plays: the device starts it.
        if (state.activity === "FINISHED" && state.current && state.current.token === last) playNext();
        return;
      }
      case "REPLACE_ENQUEUED":
        state.queue = [entry];
        logEvent("audio", "queue replaced by " + label(entry));
        return;
      default: // REPLACE_ALL
        state.queue = [];
        start(entry);
    }
  }

  const label = (e) => (e.metadata && e.metadata.title) || decodeURIComponent((e.url.split("?")[0].split("/").pop() || e.token));

  let generation = 0;

  function start(entry) {
    if (state.current && state.activity === "PLAYING") {
      // Replacing what plays: the old stream stops first.
      const old = { token: state.token, offset: currentOffset() };
      state.activity = "STOPPED"; // so the pause handler stays quiet
      audio.pause();
      send({ type: "AudioPlayer.PlaybackStopped", token: old.token, offsetInMilliseconds: old.offset }, false);
    }
    const gen = ++generation;
    state.loading = true;
    state.stopped = false;
    state.current = { token: entry.token, url: entry.url, metadata: entry.metadata, startedSent: false, nearlySent: false };
    state.token = entry.token;
    state.offsetMs = entry.offsetMs;
    logEvent("audio", `play ${label(entry)} from ${fmtMs(entry.offsetMs)}`);
    const seek = entry.offsetMs / 1000;
    const go = () => {
      if (gen !== generation) return; // replaced meanwhile
      if (seek > 0) {
        try { audio.currentTime = seek; } catch { /* not seekable */ }
      }
      audio.play().catch((e) => { if (gen === generation) logEvent("error", "audio.play(): " + e.message); });
    };
    audio.addEventListener("loadedmetadata", go, { once: true });
    audio.src = entry.url;
    render();
  }

  // stop carries out AudioPlayer.Stop (and ClearQueue CLEAR_ALL): the
  // queue is cleared and nothing plays until the next Play, also a stream
  // start() is still loading (audio.paused is true then, until it plays).
  function stop(byDirective) {
    state.queue = [];
    state.stopped = true;
    if (state.current && state.activity === "PLAYING" && !state.loading && !audio.paused) {
      state.stoppedByDirective = byDirective;
      audio.pause(); // the "pause" event sends PlaybackStopped
      return;
    }
    if (state.loading) {
      // Loading: cancel the pending start (see start's generation).
      generation++;
      state.loading = false;
      audio.pause();
      state.activity = "STOPPED";
      logEvent("audio", "stopped before it started: " + label(state.current));
    }
    render();
  }

  function playNext() {
    const next = state.queue.shift();
    if (next) start(next);
  }

  audio.addEventListener("playing", () => {
    const cur = state.current;
    if (!cur || audio.paused) return; // a start that stop() cancelled
    state.loading = false;
    state.activity = "PLAYING";
    ring("playing");
    render();
    if (!cur.startedSent) {
      cur.startedSent = true;
      const token = cur.token;
      send({ type: "AudioPlayer.PlaybackStarted", token, offsetInMilliseconds: currentOffset() }, false).then(() => {
        // Screen devices send PlaybackNearlyFinished soon after starting;
        // jokes are short, so do it once per item, right after Started.
        if (state.current === cur && !cur.nearlySent && !state.stopped) {
          cur.nearlySent = true;
          send({ type: "AudioPlayer.PlaybackNearlyFinished", token, offsetInMilliseconds: currentOffset() }, false);
        }
      });
    }
  });

  audio.addEventListener("pause", () => {
    if (!state.current || audio.ended || state.activity !== "PLAYING") return;
    const byDirective = state.stoppedByDirective;
    state.stoppedByDirective = false;
    state.offsetMs = currentOffset();
    state.activity = byDirective ? "STOPPED" : "PAUSED";
    ring(idleRing());
    render();
    logEvent("audio", `stopped at ${fmtMs(state.offsetMs)}`);
    send({ type: "AudioPlayer.PlaybackStopped", token: state.current.token, offsetInMilliseconds: state.offsetMs }, false);
  });

  audio.addEventListener("ended", () => {
    const cur = state.current;
    if (!cur) return;
    state.offsetMs = Math.round((audio.duration || 0) * 1000);
    state.activity = "FINISHED";
    ring(idleRing());
    logEvent("audio", "finished " + label(cur));
    send({ type: "AudioPlayer.PlaybackFinished", token: cur.token, offsetInMilliseconds: state.offsetMs }, false);
    if (state.queue.length) playNext();
    render();
  });

  audio.addEventListener("error", () => {
    const cur = state.current;
    if (!cur || !audio.error) return;
    const types = {
      1: "MEDIA_ERROR_UNKNOWN", // aborted
      2: "MEDIA_ERROR_SERVICE_UNAVAILABLE", // network
      3: "MEDIA_ERROR_INTERNAL_DEVICE_ERROR", // decode
      4: "MEDIA_ERROR_INVALID_REQUEST", // source not supported (or 403/404)
    };
    const before = { token: cur.token, offsetInMilliseconds: state.offsetMs, playerActivity: state.activity };
    state.activity = "STOPPED";
    state.loading = false;
    ring("error");
    render();
    logEvent("error", "audio error: " + (audio.error.message || types[audio.error.code]));
    send({
      type: "AudioPlayer.PlaybackFailed",
      token: cur.token,
      offsetInMilliseconds: state.offsetMs,
      error: { type: types[audio.error.code] || "MEDIA_ERROR_UNKNOWN", message: audio.error.message || "playback failed" },
      currentPlaybackState: before,
    }, false);
  });

  audio.addEventListener("timeupdate", renderProgress);
  audio.addEventListener("durationchange", renderProgress);

  // ---- rendering ---------------------------------------------------------

  // shownActivity names the player's state as the user would: a device
  // reports STOPPED after "pause" (the skill answers with a Stop), which the
  // user calls paused.
  function shownActivity() {
    return state.activity === "STOPPED" && state.pauseAsked ? "PAUSED" : state.activity;
  }

  function idleRing() {
    return state.activity === "PLAYING" ? "playing" : "idle";
  }
  function ring(s) { $("ring").dataset.state = s; }

  function fmtMs(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function render() {
    $("pActivity").textContent = state.activity;
    $("pToken").textContent = state.token || "—";
    $("pToken").title = state.token;
    $("pOffset").textContent = currentOffset() + " ms";
    $("pQueue").textContent = state.queue.length ? state.queue.map(label).join(", ") : t("empty");
    $("pSession").textContent = state.session ? t("open_") + " (" + state.session.id.slice(-8) + ")" : t("closed");
    const pane = $("screenPane");
    pane.classList.toggle("off", !screenOn());
    const cur = state.current;
    const shown = shownActivity();
    $("npLabel").dataset.i18n = shown;
    $("npLabel").textContent = screenOn() ? t(shown) : t(shown) + " · " + t("noScreen");
    $("npTitle").textContent = cur ? (cur.metadata && cur.metadata.title) || label(cur) : "—";
    $("npSubtitle").textContent = cur && cur.metadata ? cur.metadata.subtitle || "" : "";
    renderProgress();
  }

  function renderProgress() {
    const d = audio.duration;
    const t = audio.currentTime || 0;
    $("bar").style.width = d > 0 && isFinite(d) ? Math.min(100, (t / d) * 100) + "%" : "0";
    $("tCur").textContent = fmtMs(t * 1000);
    $("tDur").textContent = d > 0 && isFinite(d) ? fmtMs(d * 1000) : "0:00";
    if (state.activity === "PLAYING") $("pOffset").textContent = currentOffset() + " ms";
  }

  function showJSON(id, v) {
    const el = $(id);
    if (typeof v === "string") { el.textContent = v; return; }
    const json = JSON.stringify(v, null, 2);
    el.innerHTML = json
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\b/g, (m, str, colon, lit) => {
        if (str) return colon ? `<span class="k">${str}</span>${colon}` : `<span class="s">${str}</span>`;
        return `<span class="n">${lit}</span>`;
      });
  }

  const logEntries = [];
  // logEvent adds a line to the events log; a line about a request or its
  // response (entry) shows that entry in the panes when clicked.
  function logEvent(kind, msg, entry) {
    const now = new Date();
    logEntries.push({ t: now.toISOString(), kind, msg, entry: entry ? entry.id : 0 });
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = now.toLocaleTimeString([], { hour12: false }) + "." + String(now.getMilliseconds()).padStart(3, "0");
    const k = document.createElement("span");
    const kindKey = { out: "kindOut", in: "kindIn", audio: "kindAudio", error: "kindError" }[kind];
    k.className = "kind " + kind;
    if (kindKey) k.dataset.i18n = kindKey;
    k.textContent = kindKey ? t(kindKey) : kind;
    const m = document.createElement("span");
    m.className = "msg";
    m.textContent = msg;
    li.append(time, k, m);
    if (entry) {
      li.dataset.entry = String(entry.id);
      li.classList.toggle("auto", entry.auto);
      li.classList.toggle("selected", state.selected === entry);
      li.tabIndex = 0;
      li.addEventListener("click", () => select(entry));
      li.addEventListener("keydown", (e) => { if (e.key === "Enter") select(entry); });
    }
    const log = $("log");
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  // ---- other skills and other devices ---------------------------------------

  // Two devices of one account (the same userId): each keeps its own player
  // context, as real devices do; the page shows one at a time.
  const devices = [
    { deviceId: state.deviceId, token: "", activity: "IDLE", offsetMs: 0 },
    { deviceId: persistent("jokebox.deviceId2", () => "amzn1.ask.device.DEV" + hex(24)), token: "", activity: "IDLE", offsetMs: 0 },
  ];
  let deviceIndex = 0;

  // stopHere stops our stream on the shown device, as a device does when
  // something else takes over its speaker: PlaybackStopped, then silence.
  async function stopHere() {
    if (!state.current || state.activity !== "PLAYING") return;
    const old = { token: state.token, offset: currentOffset() };
    state.activity = "STOPPED"; // so the pause handler stays quiet
    state.offsetMs = old.offset;
    audio.pause();
    await send({ type: "AudioPlayer.PlaybackStopped", token: old.token, offsetInMilliseconds: old.offset }, false);
  }

  // dropStream forgets the stream, the queue and the session.
  function dropStream() {
    generation++; // a start still loading is cancelled
    state.loading = false;
    state.queue = [];
    state.current = null;
    state.stopped = true;
    state.session = null;
    audio.removeAttribute("src");
    audio.load();
  }

  // anotherSkillPlayed is what a real device does after music from another
  // skill: our stream stopped, and the next requests carry no jokebox token
  // (context.AudioPlayer IDLE), in a new session.
  async function anotherSkillPlayed() {
    await stopHere();
    dropStream();
    state.token = "";
    state.activity = "IDLE";
    state.offsetMs = 0;
    logEvent("audio", "another skill played: this device no longer holds jokebox's token");
    render();
  }

  // useDevice shows device i: the one shown stops our stream and keeps its
  // player context; i's context comes back.
  async function useDevice(i) {
    if (i === deviceIndex || !devices[i]) return;
    await stopHere();
    devices[deviceIndex] = { deviceId: state.deviceId, token: state.token, activity: state.activity, offsetMs: state.offsetMs };
    dropStream();
    deviceIndex = i;
    const d = devices[i];
    state.deviceId = d.deviceId;
    state.token = d.token;
    state.activity = d.activity;
    state.offsetMs = d.offsetMs;
    $("device").value = String(i);
    logEvent("audio", `now on ${t(i === 0 ? "device1" : "device2")} (${d.deviceId.slice(-6)})`);
    render();
  }

  // ---- user actions --------------------------------------------------------

  function launch() {
    logEvent("out", "“open jokebox”");
    return send({ type: "LaunchRequest" }, true);
  }
  function intent(name, slots) {
    return send(intentBody(name, slots), true);
  }
  // utter sends what the interaction model of the locale makes of text
  // (nlu.js), with the intent, slots and entity resolution it picked.
  async function utter(text) {
    let u;
    try {
      u = await window.JokeboxNLU.understand(text, locale());
    } catch (e) {
      return fail(String(e));
    }
    $("hint").textContent = window.JokeboxNLU.describe(text, u);
    return u.launch ? launch() : send({ type: "IntentRequest", dialogState: "COMPLETED", intent: { name: u.intent, confirmationStatus: "NONE", slots: u.slots } }, true);
  }
  function device(cmd) {
    return send({ type: `PlaybackController.${cmd}CommandIssued` }, false);
  }

  $("sayForm").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("utterance").value.trim();
    if (!text) return;
    $("utterance").value = "";
    utter(text);
  });
  $("btn-open").addEventListener("click", () => launch());
  document.querySelectorAll("[data-intent]").forEach((b) => b.addEventListener("click", () => intent(b.dataset.intent)));
  $("btn-playlist").addEventListener("click", () => {
    const name = $("playlist").value;
    intent("PlayJokeIntent", name ? { playlist: name } : undefined);
  });
  $("dev-play").addEventListener("click", () => device("Play"));
  $("dev-pause").addEventListener("click", () => device("Pause"));
  $("dev-next").addEventListener("click", () => device("Next"));
  $("dev-prev").addEventListener("click", () => device("Previous"));
  $("btn-other-skill").addEventListener("click", () => anotherSkillPlayed());
  $("device").addEventListener("change", () => useDevice(Number($("device").value)));
  $("clearLog").addEventListener("click", () => { $("log").textContent = ""; });
  $("follow").addEventListener("change", () => { state.follow = $("follow").checked; });
  $("screen").addEventListener("change", render);
  $("speak").addEventListener("change", () => { state.speak = $("speak").checked; if (!state.speak && window.speechSynthesis) speechSynthesis.cancel(); });
  $("locale").addEventListener("change", () => {
    try { localStorage.setItem("jokebox.locale", locale()); } catch { /* private mode */ }
    applyWords();
    render();
    showLibrary();
    if (state.selected) showEntry(state.selected);
  });

  // ---- what the server indexed ---------------------------------------------

  async function refreshInfo() {
    try {
      state.info = await (await fetch("/api/info")).json();
      if (state.info.skillId) state.skillId = state.info.skillId;
      // As people sort them: case and accents ignored (the server sorts so too).
      const order = new Intl.Collator(lang(), { sensitivity: "base", numeric: true });
      state.playlists = (state.info.playlists || []).filter((p) => p.name).sort((a, b) => order.compare(a.name, b.name));
    } catch (e) {
      state.info = null;
    }
    showLibrary();
    state.ready = true;
  }

  // showLibrary shows what /api/info said: the playlist picker and the
  // summary, counting playlists as the terminal does (the folders).
  function showLibrary() {
    const info = state.info;
    const lib = $("library");
    if (!info) {
      lib.textContent = t("unreachable");
      return;
    }
    const folders = state.playlists;
    const sel = $("playlist");
    const chosen = sel.value;
    sel.textContent = "";
    sel.append(new Option(t("library"), ""));
    for (const p of folders) sel.append(new Option(`${p.name} (${p.count})`, p.name));
    sel.value = folders.some((p) => p.name === chosen) ? chosen : "";
    lib.innerHTML = "";
    const b = (text) => { const e = document.createElement("b"); e.textContent = text; return e; };
    lib.append(b(String(info.entries || 0)), " " + t("files") + " · ", b(String(folders.length)), " " + t("playlists"));
    if ((info.rejected || []).length) lib.append(" · ", b(String(info.rejected.length)), " " + t("rejected"));
    lib.append(" · v" + (info.version || 0));
    if (info.error) lib.append(" · " + info.error);
    placeholder();
    showRejected([...(info.rejected || []), ...(info.skipped || [])]);
  }

  // showRejected lists the files that are not played, each with its
  // reason in the locale's language.
  function showRejected(files) {
    const list = $("rejectedList");
    list.textContent = "";
    for (const f of files) {
      const li = document.createElement("li");
      const key = document.createElement("code");
      key.textContent = f.key;
      li.append(key, " — " + reason(f.reason || ""));
      list.append(li);
    }
    $("rejected").hidden = files.length === 0;
  }

  // ---- start -----------------------------------------------------------------

  try {
    const saved = localStorage.getItem("jokebox.locale");
    if (saved) $("locale").value = saved;
  } catch { /* private mode */ }
  applyWords();
  render();
  refreshInfo();
  setInterval(refreshInfo, 3000);
  if (window.speechSynthesis) speechSynthesis.getVoices(); // load voices early

  // A small hook for browser tests and the curious.
  window.jokebox = {
    audio,
    state: () => ({
      activity: state.activity,
      token: state.token,
      offsetMs: currentOffset(),
      stoppedOffsetMs: state.offsetMs,
      currentTime: audio.currentTime,
      paused: audio.paused,
      src: audio.currentSrc || audio.src,
      title: state.current ? label(state.current) : "",
      queue: state.queue.map((e) => e.token),
      session: state.session ? state.session.id : "",
      requests: state.requests,
      errors: state.errors,
      lastRequest: state.lastRequest,
      lastResponse: state.lastResponse,
      lastSpeech: state.lastSpeech,
      playlists: state.playlists.map((p) => p.name),
      skillId: state.skillId,
      ready: state.ready,
      deviceId: state.deviceId,
      userId: state.userId,
    }),
    log: () => logEntries.slice(),
    history: () => state.history.map((e) => ({ id: e.id, auto: e.auto, type: e.req.request.type, status: e.status })),
    selected: () => (state.selected ? state.selected.id : 0),
    understand: (text, loc) => window.JokeboxNLU.understand(text, loc),
    utter,
    launch,
    intent,
    device,
    setSpeak: (on) => { state.speak = !!on; $("speak").checked = !!on; },
    anotherSkillPlayed,
    useDevice,
    refreshInfo,
  };
})();
