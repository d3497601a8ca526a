'use strict';

// The objects the skill function may read (s3:GetObject), for the SkillRole
// policy in serverless.yml, read as ${file(./deploy/skill-objects.js)}: the
// manifests under _jokebox/manifests/ and the audio the indexer accepts, by
// suffix, in every case variant (IAM resource patterns are case-sensitive,
// like S3 notification filters). The skill presigns GetObject URLs for the
// audio with its own role, so Alexa can fetch only what that role may read.
// Nothing else in the bucket (uploads of other types, _jokebox/pointer.json,
// files beside the manifests) is readable by the skill.

const { EXTENSIONS, caseVariants } = require('./notifications.js');

module.exports = async ({ resolveVariable }) => {
  const bucket = await resolveVariable('self:custom.bucketName');
  const arn = (pattern) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${bucket}/${pattern}` });
  const resources = [arn('_jokebox/manifests/*')];
  for (const ext of EXTENSIONS) {
    for (const variant of caseVariants(ext)) {
      resources.push(arn(`*.${variant}`));
    }
  }
  return resources;
};
