'use strict';

// S3 → SQS notification rules for the audio bucket, read by serverless.yml as
// ${file(./deploy/notifications.js)}.
//
// S3 key filters are case-sensitive and allow one prefix and one suffix per
// rule, with no "not this prefix". One rule per event type and per case
// variant of every playable extension (.mp3 .m4a .aac .mp4: 20 variants, 40
// rules) sends exactly the audio keys and never the manifest objects under
// _jokebox/ (which end in .jbx or .json), so the indexer's own writes never
// trigger it. Variants of one extension never overlap (".mp3" is not a suffix
// of ".MP3"), which S3 requires of rules for the same event type.
//
// Keep EXTENSIONS in step with the indexer's list of playable audio.

const EXTENSIONS = ['mp3', 'm4a', 'aac', 'mp4'];
const EVENTS = ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'];

// caseVariants returns every upper/lower-case spelling of s, lower case first.
function caseVariants(s) {
  let out = [''];
  for (const ch of s) {
    const forms = ch.toLowerCase() === ch.toUpperCase() ? [ch] : [ch.toLowerCase(), ch.toUpperCase()];
    out = out.flatMap((prefix) => forms.map((f) => prefix + f));
  }
  return out;
}

function queueConfigurations(queueLogicalId) {
  const rules = [];
  for (const event of EVENTS) {
    for (const ext of EXTENSIONS) {
      for (const variant of caseVariants(ext)) {
        rules.push({
          Event: event,
          Queue: { 'Fn::GetAtt': [queueLogicalId, 'Arn'] },
          Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: `.${variant}` }] } },
        });
      }
    }
  }
  return rules;
}

module.exports = () => ({ QueueConfigurations: queueConfigurations('IndexQueue') });
module.exports.caseVariants = caseVariants;
module.exports.EXTENSIONS = EXTENSIONS;
