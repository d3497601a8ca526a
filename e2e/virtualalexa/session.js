// A scripted listening session against `jokebox serve`, run by
// session_test.go with virtual-alexa, Amazon's published simulator, in
// each locale of JOKEBOX_LOCALES, from the skill's interaction models.
// virtual-alexa builds the requests (context, AudioPlayer state, tokens and
// offsets) and plays the directives on its own audio player; any request it
// refuses to make, any answer it cannot read, and any SessionEndedRequest
// with reason ERROR (what it sends, as Alexa does, when a Play directive is
// invalid) fails the run. Exit status 1 on any failure.
"use strict";

const path = require("path");
const { VirtualAlexa } = require("virtual-alexa");

function need(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set (run through go test ./e2e/virtualalexa)`);
  }
  return v;
}

const skillURL = need("JOKEBOX_SKILL_URL");
const appID = need("JOKEBOX_APP_ID");
const models = need("JOKEBOX_MODELS");
const locales = need("JOKEBOX_LOCALES").split(",");
const folders = need("JOKEBOX_FOLDERS").split(",");

let failures = 0;

function check(cond, msg) {
  if (!cond) {
    throw new Error(msg);
  }
}

// token fields: jb1|version|playlist|position|flags+nonce|key
function parseToken(tok) {
  const f = String(tok).split("|");
  check(f.length === 6 && f[0] === "jb1", `token ${tok} is not jokebox's`);
  return { version: f[1], playlist: decodeURIComponent(f[2].replace(/\+/g, " ")), pos: Number(f[3]), key: decodeURIComponent(f[5].replace(/\+/g, " ")) };
}

function directives(resp) {
  return (resp && resp.response && resp.response.directives) || [];
}

function onlyPlay(resp, behavior) {
  const plays = directives(resp).filter((d) => d.type === "AudioPlayer.Play");
  check(plays.length === 1, `want one Play, got ${JSON.stringify(resp.response)}`);
  const d = plays[0];
  check(d.playBehavior === behavior, `playBehavior ${d.playBehavior}, want ${behavior}`);
  check(d.audioItem.stream.url.startsWith("https://"), `stream URL ${d.audioItem.stream.url} is not https`);
  return d;
}

// playlistValue is a value of the PlaylistName slot type whose id is a
// folder of the uploaded media, and a sample of PlayJokeIntent that names
// a playlist, read from the model at run time.
function playlistUtterance(model) {
  const lm = model.interactionModel.languageModel;
  const intent = lm.intents.find((i) => i.name === "PlayJokeIntent");
  const slot = intent.slots.find((s) => s.name === "playlist");
  const type = lm.types.find((t) => t.name === slot.type);
  const value = type.values.find((v) => folders.includes(v.id));
  check(value, `no ${slot.type} value in the ${lm.invocationName} model has the id of an uploaded folder (${folders})`);
  const sample = intent.samples.find((s) => /\S+ \{playlist\}$/.test(s));
  check(sample, "no PlayJokeIntent sample ends with {playlist}");
  return { folder: value.id, utterance: sample.replace("{playlist}", value.name.value) };
}

async function session(locale) {
  const modelFile = path.join(models, `${locale}.json`);
  const model = require(modelFile);
  const alexa = VirtualAlexa.Builder()
    .applicationID(appID)
    .interactionModelFile(modelFile)
    .locale(locale)
    .skillURL(skillURL)
    .create();
  const sent = [];
  alexa.filter((req) => {
    sent.push(req);
  });
  const player = alexa.audioPlayer();
  const errors = () => sent.filter((r) => r.request.type === "SessionEndedRequest" && r.request.reason === "ERROR");

  async function step(name, fn) {
    const before = sent.length;
    try {
      await fn();
      const errs = errors().filter((r) => sent.indexOf(r) >= before);
      check(errs.length === 0, `virtual-alexa reported ${JSON.stringify(errs.map((r) => r.request.error))}`);
      console.log(`ok   ${locale} ${name}`);
    } catch (e) {
      failures++;
      console.log(`FAIL ${locale} ${name}: ${e && e.stack ? e.stack : e}`);
    }
  }
  const playing = () => {
    check(player.isPlaying(), `player is ${player.playerActivity()}, not playing`);
    return parseToken(player.playing().stream.token);
  };

  let cur;
  await step("launch", async () => {
    const r = await alexa.launch();
    onlyPlay(r, "REPLACE_ALL");
    check(r.response.outputSpeech && r.response.outputSpeech.text, "launch says nothing");
    cur = playing();
  });
  await step("next", async () => {
    const r = await alexa.intend("AMAZON.NextIntent");
    onlyPlay(r, "REPLACE_ALL");
    const now = playing();
    check(now.key !== cur.key, `next played ${now.key} again`);
    cur = now;
  });
  await step("pause", async () => {
    player.playbackOffset(4000);
    const r = await alexa.intend("AMAZON.PauseIntent");
    check(directives(r).some((d) => d.type === "AudioPlayer.Stop"), `pause: ${JSON.stringify(r.response)}`);
    check(!player.isPlaying(), "still playing after pause");
  });
  await step("resume at the offset", async () => {
    const r = await alexa.intend("AMAZON.ResumeIntent");
    const d = onlyPlay(r, "REPLACE_ALL");
    const now = playing();
    check(now.key === cur.key, `resume played ${now.key}, want ${cur.key}`);
    check(d.audioItem.stream.offsetInMilliseconds === 4000, `resume at ${d.audioItem.stream.offsetInMilliseconds} ms, want 4000`);
  });
  await step("previous", async () => {
    const before = cur;
    const r = await alexa.intend("AMAZON.PreviousIntent");
    onlyPlay(r, "REPLACE_ALL");
    cur = playing();
    check(cur.key !== before.key, `previous played ${cur.key} again`);
  });
  await step("start over", async () => {
    const r = await alexa.intend("AMAZON.StartOverIntent");
    const d = onlyPlay(r, "REPLACE_ALL");
    const now = playing();
    check(now.key === cur.key && d.audioItem.stream.offsetInMilliseconds === 0, `start over played ${now.key} at ${d.audioItem.stream.offsetInMilliseconds}, want ${cur.key} at 0`);
  });
  let queued;
  await step("nearly finished enqueues the next", async () => {
    const tok = player.playing().stream.token;
    const r = await player.playbackNearlyFinished();
    const d = onlyPlay(r, "ENQUEUE");
    check(d.audioItem.stream.expectedPreviousToken === tok, `expectedPreviousToken ${d.audioItem.stream.expectedPreviousToken}, want ${tok}`);
    queued = d.audioItem.stream.token;
    check(parseToken(queued).key !== cur.key, "enqueued the playing entry again");
  });
  await step("finished plays the queued one", async () => {
    // virtual-alexa sends the queued stream's PlaybackStarted without
    // waiting for it (playbackFinished starts playNext and returns the
    // Finished request's promise), so it could reach jokebox after the
    // next steps' requests. A device reports it when the stream starts:
    // wait for its answer too.
    const startPlayback = player.playbackStarted.bind(player);
    let startedAnswer = Promise.resolve();
    player.playbackStarted = () => (startedAnswer = startPlayback());
    await player.playbackFinished();
    await startedAnswer;
    player.playbackStarted = startPlayback;
    check(player.playing().stream.token === queued, `playing ${player.playing().stream.token}, want the queued ${queued}`);
    const started = sent.filter((r) => r.request.type === "AudioPlayer.PlaybackStarted").pop();
    check(started && started.request.token === queued, "no PlaybackStarted for the queued stream");
    cur = playing();
  });
  await step("stop", async () => {
    const r = await alexa.intend("AMAZON.StopIntent");
    check(directives(r).some((d) => d.type === "AudioPlayer.Stop"), `stop: ${JSON.stringify(r.response)}`);
    check(!player.isPlaying(), "still playing after stop");
  });
  // Another skill plays on the device (music, a podcast): Alexa opens the
  // next session with no jokebox token, as a fresh virtual-alexa of the
  // same account and device does (IDLE player). jokebox serve runs with the
  // listeners table, so the launch continues after the last entry heard.
  await step("another skill played: launch continues without a repeat", async () => {
    const other = VirtualAlexa.Builder()
      .applicationID(appID)
      .interactionModelFile(modelFile)
      .locale(locale)
      .skillURL(skillURL)
      .create();
    other.context().user().setID(alexa.context().user().id());
    other.context().device().setID(alexa.context().device().id());
    const otherSent = [];
    other.filter((req) => {
      otherSent.push(req);
      sent.push(req);
    });
    const r = await other.launch();
    const launch = otherSent.find((x) => x.request.type === "LaunchRequest");
    check(launch && launch.session.new, "the launch is not a new session");
    check(!(launch.context.AudioPlayer && launch.context.AudioPlayer.token), `the launch carries a token: ${JSON.stringify(launch.context.AudioPlayer)}`);
    onlyPlay(r, "REPLACE_ALL");
    const now = parseToken(other.audioPlayer().playing().stream.token);
    check(now.key !== cur.key, `played ${now.key} again`);
    // The oracle: "next" on the device that kept its token plays the entry
    // after cur (skipping those not in the locale's language).
    onlyPlay(await alexa.intend("AMAZON.NextIntent"), "REPLACE_ALL");
    const viaToken = playing();
    check(now.key === viaToken.key && now.playlist === cur.playlist && now.version === cur.version,
      `played ${now.key} at ${now.playlist}#${now.pos} (v${now.version}); want ${viaToken.key} at #${viaToken.pos}, the entry after ${cur.key} at #${cur.pos} (v${cur.version})`);
    console.log(`     ${locale} after another skill: ${cur.key} (#${cur.pos}) then ${now.key} (#${now.pos})`);
    cur = viaToken;
  });
  await step("help", async () => {
    const r = await alexa.intend("AMAZON.HelpIntent");
    check(r.response.outputSpeech && r.response.outputSpeech.text, "help says nothing");
    check(r.response.shouldEndSession === false, "help ends the session");
    check(directives(r).length === 0, "help plays something");
  });
  await step("a playlist by name", async () => {
    const { folder, utterance } = playlistUtterance(model);
    const r = await alexa.utter(utterance);
    const req = sent.filter((x) => x.request.type === "IntentRequest").pop();
    check(req.request.intent && req.request.intent.name === "PlayJokeIntent", `"${utterance}" resolved to ${JSON.stringify(req.request.intent)}`);
    onlyPlay(r, "REPLACE_ALL");
    const now = playing();
    check(now.playlist === folder, `"${utterance}" played from playlist "${now.playlist}", want "${folder}"`);
    console.log(`     ${locale} said "${utterance}": played ${now.key}`);
  });
  await step("what playlists, then only a synonym of one", async () => {
    const lm = model.interactionModel.languageModel;
    const list = lm.intents.find((i) => i.name === "ListPlaylistsIntent");
    check(list && list.samples.length > 0, "no ListPlaylistsIntent samples");
    const r = await alexa.utter(list.samples[0]);
    const req = sent.filter((x) => x.request.type === "IntentRequest").pop();
    check(req.request.intent && req.request.intent.name === "ListPlaylistsIntent", `"${list.samples[0]}" resolved to ${JSON.stringify(req.request.intent)}`);
    check(r.response.shouldEndSession === false && r.response.reprompt, "the list does not keep the session open with a reprompt");
    check(directives(r).length === 0, "the list plays something");
    console.log(`     ${locale} said "${list.samples[0]}": "${r.response.outputSpeech.text}"`);
    // A synonym of an uploaded folder, longest first: virtual-alexa's
    // entity resolution must give the folder as the id.
    const type = lm.types.find((t) => t.name === "PlaylistName");
    const value = type.values.find((v) => folders.includes(v.id) && (v.name.synonyms || []).some((s) => s.includes(" ")));
    check(value, "no uploaded folder has a synonym of two words");
    const synonym = value.name.synonyms.filter((s) => s.includes(" ")).sort((a, b) => b.length - a.length)[0];
    const r2 = await alexa.utter(synonym);
    const req2 = sent.filter((x) => x.request.type === "IntentRequest").pop();
    check(req2.request.intent && req2.request.intent.name === "PlayJokeIntent", `"${synonym}" resolved to ${JSON.stringify(req2.request.intent)}`);
    const slot = req2.request.intent.slots.playlist;
    const res = slot.resolutions && slot.resolutions.resolutionsPerAuthority[0];
    check(res && res.status.code === "ER_SUCCESS_MATCH" && res.values[0].value.id === value.id, `"${synonym}" resolved to ${JSON.stringify(slot)}`);
    onlyPlay(r2, "REPLACE_ALL");
    const now = playing();
    check(now.playlist === value.id, `"${synonym}" played from playlist "${now.playlist}", want "${value.id}"`);
    console.log(`     ${locale} said "${synonym}" (value "${value.name.value}", id "${value.id}"): played ${now.key}`);
  });
  await step("no errors from virtual-alexa", async () => {
    check(errors().length === 0, `errors: ${JSON.stringify(errors().map((r) => r.request.error))}`);
    check(sent.length >= 12, `only ${sent.length} requests sent`);
  });
}

(async () => {
  for (const locale of locales) {
    await session(locale);
  }
  console.log(failures === 0 ? "virtual-alexa session: all steps passed" : `virtual-alexa session: ${failures} steps failed`);
  process.exit(failures === 0 ? 0 : 1);
})().catch((e) => {
  console.log(`FAIL: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
