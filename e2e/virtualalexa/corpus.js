// Runs the utterances of the corpus (JOKEBOX_CASES, a JSON file of
// {utterance, locale}) through two NLUs on the models built for the
// corpus bucket (JOKEBOX_MODELS), and through the skill:
//   - virtual-alexa's own matcher (virtual-core's Utterance over
//     virtual-alexa's InteractionModel, which adds its built-in phrasings),
//     called directly so that its launch-phrase shortcut, which takes any
//     utterance containing "tell" or "ask" for a launch, stays out of the way;
//   - the simulator's web/nlu.js, loaded as the page loads it.
// A case virtual-alexa matches is sent to the skill (JOKEBOX_SKILL_URL) by
// virtual-alexa as that intent and those slots, with its entity
// resolution. A case it cannot match is sent the way Alexa sends a phrase
// whose slot value is no value of the model: the intent and raw slot value
// of nlu.js's lenient match, with ER_SUCCESS_NO_MATCH, for the skill's
// run-time rescue. Prints one JSON line per case; corpus_test.go judges.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");
const { VirtualAlexa } = require("virtual-alexa");
const { InteractionModel } = require("virtual-alexa/lib/src/model/InteractionModel");
const { Utterance } = require("virtual-core");

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through go test ./e2e/virtualalexa)`);
  return v;
}

const models = need("JOKEBOX_MODELS");
const cases = JSON.parse(fs.readFileSync(need("JOKEBOX_CASES"), "utf8"));
const skillURL = need("JOKEBOX_SKILL_URL");
const appID = need("JOKEBOX_APP_ID");
const nluFile = need("JOKEBOX_NLU");

// nlu.js as the page runs it: it registers itself on window.
const sandbox = { window: {}, fetch: () => Promise.reject(new Error("no fetch in the corpus run")) };
vm.runInNewContext(fs.readFileSync(nluFile, "utf8"), sandbox, { filename: nluFile });
const NLU = sandbox.window.JokeboxNLU;

const byLocale = new Map();
function model(locale) {
  if (!byLocale.has(locale)) {
    const file = path.join(models, `${locale}.json`);
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    byLocale.set(locale, { file, json, im: InteractionModel.fromJSON(json) });
  }
  return byLocale.get(locale);
}

// erID is the id virtual-alexa's entity resolution gives a slot value.
function erID(im, intentName, slotName, value) {
  const slot = im.intentSchema.intent(intentName).slotForName(slotName);
  if (!slot) return "";
  const m = im.slotTypes.matchesSlot(slot.type, value);
  return m && m.matches && m.enumeratedValue ? m.enumeratedValue.id : "";
}

function resolvedID(slot) {
  const r = slot && slot.resolutions && slot.resolutions.resolutionsPerAuthority[0];
  return r && r.values && r.values.length ? r.values[0].value.id : "";
}

// played is the playlist of the skill's Play directive, null for none.
function played(resp) {
  const d = ((resp && resp.response && resp.response.directives) || []).find((x) => x.type === "AudioPlayer.Play");
  if (!d) return null;
  const f = String(d.audioItem.stream.token).split("|");
  return decodeURIComponent((f[2] || "").replace(/\+/g, " "));
}

(async () => {
  for (const c of cases) {
    const m = model(c.locale);
    const out = { utterance: c.utterance, locale: c.locale };
    const u = new Utterance(m.im, c.utterance);
    if (u.matched()) {
      const slots = u.toJSON();
      out.va = { intent: u.intent(), value: slots.playlist || "", id: slots.playlist ? erID(m.im, u.intent(), "playlist", slots.playlist) : "" };
    }
    const n = NLU.understandIn(m.json.interactionModel.languageModel, NLU.clean(c.utterance), c.locale);
    const ns = (n.slots || {}).playlist;
    out.nlu = { intent: n.launch ? "LaunchRequest" : n.intent, value: (ns && ns.value) || "", id: resolvedID(ns) };

    const alexa = VirtualAlexa.Builder().applicationID(appID).interactionModelFile(m.file).locale(c.locale).skillURL(skillURL).create();
    let sent;
    alexa.filter((req) => { sent = req; });
    try {
      let resp;
      if (out.va) {
        out.sent = "model";
        resp = await alexa.intend(out.va.intent, out.va.value ? { playlist: out.va.value } : undefined);
      } else if (out.nlu.intent === "PlayJokeIntent" && out.nlu.value) {
        out.sent = "rescue";
        resp = await alexa.intend("PlayJokeIntent", { playlist: out.nlu.value });
      }
      if (resp) {
        out.played = played(resp);
        out.sentID = sent ? resolvedID(((sent.request.intent || {}).slots || {}).playlist) : "";
      }
    } catch (e) {
      out.error = String(e && e.message ? e.message : e);
    }
    console.log(JSON.stringify(out));
  }
})().catch((e) => {
  console.log(JSON.stringify({ fatal: String(e && e.stack ? e.stack : e) }));
  process.exit(1);
});
