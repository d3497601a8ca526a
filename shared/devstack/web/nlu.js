// nlu.js: understands typed text the way the skill's interaction model
// does. It matches against the model of the selected locale, served by the
// dev server at /model/{locale} (built by the same code as `jokebox skill
// build`, so its playlist values are the indexed folders): the sample
// utterances of each intent, their slots, and the slot type's values and
// synonyms, which give an entity resolution like Alexa's (ER_SUCCESS_MATCH
// with the value's id, the folder). It picks the sample as virtual-alexa,
// Amazon's published simulator, does: the one with the most literal
// characters among those whose slot values the model holds, the first of
// equals winning. Alexa's built-in intents get virtual-alexa's list of
// their phrasings, in every locale, after the model's own samples; the
// models carry the rest (the Spanish ones included). One difference is
// kept on purpose: a sample with words of its own still matches when its
// slot value is no value of the model, with ER_SUCCESS_NO_MATCH, which is
// what Alexa sends and the skill's run-time rescue takes; virtual-alexa
// refuses such utterances. e2e/virtualalexa's corpus test runs both on
// every utterance of its corpus and fails on any difference. It has no
// rules of its own about jokes or playlists.
(function () {
  "use strict";

  // Phrasings of the built-in intents as virtual-alexa 0.7.8 lists them
  // (lib/src/model/BuiltinUtterances.js); only intents the model declares
  // are matched.
  const builtins = {
    "AMAZON.CancelIntent": ["cancel", "never mind"],
    "AMAZON.HelpIntent": ["help", "help me"],
    "AMAZON.LoopOffIntent": ["loop off"],
    "AMAZON.LoopOnIntent": ["loop", "loop on", "keep repeating this song"],
    "AMAZON.NavigateHomeIntent": ["home", "go home"],
    "AMAZON.NextIntent": ["next", "skip", "skip forward"],
    "AMAZON.PauseIntent": ["pause", "pause that"],
    "AMAZON.PreviousIntent": ["go back", "previous", "skip back", "back up"],
    "AMAZON.RepeatIntent": ["repeat", "say that again", "repeat that"],
    "AMAZON.ResumeIntent": ["resume", "continue", "keep going"],
    "AMAZON.ShuffleOffIntent": ["shuffle off", "stop shuffling", "turn off shuffle"],
    "AMAZON.ShuffleOnIntent": ["shuffle", "shuffle on", "shuffle the music", "shuffle mode"],
    "AMAZON.StartOverIntent": ["start over", "restart", "start again"],
    "AMAZON.StopIntent": ["stop", "off", "shut up"],
  };

  // How people open a skill, or ask it for something in one breath.
  const openWords = /^(?:open|launch|start|abre|abrir|inicia|iniciar|lanza|empieza|comienza)\s+(.*)$/;
  const oneShot = {
    en: (inv) => new RegExp("^(?:ask|tell)\\s+" + inv + "\\s+(?:(?:to|for|about|that)\\s+)?(.+)$"),
    es: (inv) => new RegExp("^(?:pide|pídele|pidele|dile|pregunta|pregúntale|preguntale)\\s+a\\s+" + inv + "\\s+(.+)$"),
  };

  // clean lowercases text, drops the wake word and punctuation other than
  // apostrophes, and collapses spaces.
  function clean(text) {
    return text.toLowerCase()
      .replace(/^\s*(?:alexa|echo)\b[\s,]*/, "")
      .replace(/[^\p{L}\p{N}'\s]+/gu, " ")
      .replace(/\s+/g, " ")
      .trim();
  }

  // fold removes accents one character at a time, so that positions in the
  // folded text are positions in the original.
  function fold(s) {
    let out = "";
    for (const ch of s) {
      const base = ch.normalize("NFD")[0];
      out += base.length === ch.length ? base : ch;
    }
    return out;
  }

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  const models = new Map(); // locale → {at, model}
  const maxAge = 2000; // ms: folders come and go while `jokebox dev` runs

  // model fetches the interaction model of a locale (cached briefly).
  async function model(locale) {
    const hit = models.get(locale);
    if (hit && Date.now() - hit.at < maxAge) return hit.model;
    const resp = await fetch("/model/" + encodeURIComponent(locale));
    if (!resp.ok) throw new Error(`no interaction model for ${locale}: ${resp.status}`);
    const m = (await resp.json()).interactionModel.languageModel;
    models.set(locale, { at: Date.now(), model: m });
    return m;
  }

  // resolve is entity resolution: the slot type's values whose value or a
  // synonym is what was said.
  function resolve(lm, type, value, locale) {
    const t = (lm.types || []).find((t) => t.name === type);
    const authority = `amzn1.er-authority.echo-sdk.dev-simulator.${type}`;
    if (!t) return undefined;
    const said = fold(value);
    const values = [];
    for (const v of t.values || []) {
      const names = [v.name.value, ...(v.name.synonyms || [])].map((n) => fold(clean(n)));
      if (names.includes(said)) values.push({ value: { name: v.name.value, id: v.id } });
    }
    const status = { code: values.length ? "ER_SUCCESS_MATCH" : "ER_SUCCESS_NO_MATCH" };
    return {
      matched: values.length > 0,
      resolutions: { resolutionsPerAuthority: [values.length ? { authority, status, values } : { authority, status }] },
    };
  }

  // understandIn matches cleaned text against one language model. It
  // returns {launch: true}, or {intent, slots, sample} where slots maps a
  // slot name to an Alexa slot ({name, value, resolutions}).
  function understandIn(lm, text, locale) {
    const lang = locale.slice(0, 2);
    const inv = fold(clean(lm.invocationName || ""));
    let t = text;
    const folded = fold(t);
    const open = folded.match(openWords);
    if (inv && (folded === inv || (open && (open[1] === inv || open[1] === "jokebox")))) return { launch: true };
    const shot = inv && oneShot[lang] && folded.match(oneShot[lang](escapeRe(inv)));
    if (shot) t = t.slice(t.length - shot[1].length);

    const ft = fold(t);
    let best;
    const consider = (cand) => { if (!best || cand.score > best.score) best = cand; };
    for (const intent of lm.intents) {
      const slotType = Object.fromEntries((intent.slots || []).map((s) => [s.name, s.type]));
      for (const sample of (intent.samples || []).concat(builtins[intent.name] || [])) {
        const names = [];
        // virtual-alexa's score: the characters of the sample's words,
        // each piece between slots trimmed.
        const literal = sample.split(/\{[^}]+\}/).reduce((n, piece) => n + fold(clean(piece)).length, 0);
        const src = escapeRe(fold(clean(sample.replace(/\{([^}]+)\}/g, " SLOT$1SLOT "))))
          .replace(/slot(\w+)slot/g, (_, n) => { names.push(n); return "(.+?)"; });
        const re = new RegExp("^" + src + "$", "d");
        const m = ft.match(re);
        if (!m) continue;
        const slots = {};
        let allResolved = true;
        names.forEach((n, i) => {
          const [lo, hi] = m.indices[i + 1];
          const value = t.slice(lo, hi);
          const r = resolve(lm, slotType[n], value, locale);
          slots[n] = { name: n, value, confirmationStatus: "NONE", source: "USER" };
          if (r) slots[n].resolutions = r.resolutions;
          if (!r || !r.matched) allResolved = false;
        });
        if (names.length && !allResolved && literal === 0) continue; // a bare {slot} must name a value
        // Samples whose slots the model holds first, as virtual-alexa
        // matches only those; then the most literal characters.
        const score = (allResolved ? 2 : 1) + literal / 1000;
        consider({ intent: intent.name, slots, sample, score });
      }
    }
    if (best) {
      // Every declared slot of the intent is sent, filled or not.
      const intent = lm.intents.find((i) => i.name === best.intent);
      for (const s of (intent && intent.slots) || []) {
        if (!best.slots[s.name]) best.slots[s.name] = { name: s.name, confirmationStatus: "NONE" };
      }
      return { intent: best.intent, slots: best.slots, sample: best.sample };
    }
    return { intent: "AMAZON.FallbackIntent", slots: {}, sample: "" };
  }

  // understand matches text against the model of locale.
  async function understand(text, locale) {
    return understandIn(await model(locale), clean(text), locale);
  }

  // describe is one line for people: what was picked, with slot values and
  // the ids entity resolution found.
  function describe(text, u) {
    if (u.launch) return `“${text}” → LaunchRequest`;
    const slots = Object.values(u.slots || {}).filter((s) => s.value !== undefined).map((s) => {
      const r = s.resolutions && s.resolutions.resolutionsPerAuthority[0];
      const id = r && r.values ? ` → id “${r.values[0].value.id}”` : r ? " (no match)" : "";
      return `${s.name}: “${s.value}”${id}`;
    });
    return `“${text}” → ${u.intent}` + (slots.length ? ` {${slots.join(", ")}}` : "") + (u.sample ? ` · sample “${u.sample}”` : "");
  }

  window.JokeboxNLU = { understand, understandIn, describe, model, clean };
})();
