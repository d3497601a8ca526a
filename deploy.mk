# Deployment targets for jokebox, included from the Makefile:  include deploy.mk
#
#   make build                 the three Lambda bootstraps, zipped into build/NAME.zip
#   make package [STAGE=dev] [REGION=r]  build, then write the CloudFormation template to .serverless/
#                              (needs JOKEBOX_SKILL_ID, or SLS_FLAGS='--param skillId=amzn1.ask.skill.…')
#   make deploy  [STAGE=dev] [REGION=r]  jokebox deploy: the skill, the stack, its manifest and
#                              models, testing on (needs AWS credentials and jokebox login's, or ASK_*)
#   make remove  [STAGE=dev] [REGION=r]  jokebox destroy: delete the stack (the audio bucket is kept)
#   make lint-deploy           cfn-lint on the packaged template, actionlint on the workflows (as make lint)
#
# serverless is the osls fork pinned in package.json, run from node_modules.
# The region is `jokebox region`'s (REGION, else AWS_REGION, else the AWS
# config's, else us-east-1; refused unless Alexa calls it): the one rule,
# in shared/deploy, that jokebox deploy uses too.

STAGE ?= dev
REGION ?=
SLS_FLAGS ?=
JOKEBOX := $(GO) run ./cmd/jokebox
REGION_FLAG = $(if $(REGION),--region $(REGION))
LAMBDA_FUNCTIONS := skill indexer rotator
LAMBDA_BUILD_DIR := build
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -ldflags="-s -w"
SLS := node_modules/.bin/serverless
CFN_TEMPLATE := .serverless/cloudformation-template-update-stack.json

.PHONY: build package deploy remove lint-deploy FORCE

# package needs the skill ID (serverless.yml has one only for the test and
# local stages): say so before building anything, not minutes later.
ifneq ($(filter package,$(MAKECMDGOALS)),)
ifeq ($(filter test local,$(STAGE)),)
ifeq ($(strip $(JOKEBOX_SKILL_ID))$(findstring skillId,$(SLS_FLAGS)),)
$(error JOKEBOX_SKILL_ID is not set. make package needs your Alexa skill's ID (amzn1.ask.skill.…, which jokebox deploy prints): \
  run  JOKEBOX_SKILL_ID=amzn1.ask.skill.… make package  or  make package SLS_FLAGS='--param skillId=amzn1.ask.skill.…')
endif
endif
endif

build: $(LAMBDA_FUNCTIONS:%=$(LAMBDA_BUILD_DIR)/%.zip)

# go build decides whether anything changed; the fixed timestamp keeps the zip
# byte-identical for an unchanged binary, so deploys skip unchanged functions.
$(LAMBDA_BUILD_DIR)/%.zip: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(LAMBDA_GOFLAGS) -o $(LAMBDA_BUILD_DIR)/$*/bootstrap ./functions/$*
	touch -d '1980-01-01 00:00:00' $(LAMBDA_BUILD_DIR)/$*/bootstrap
	rm -f $@
	zip -q -X -j $@ $(LAMBDA_BUILD_DIR)/$*/bootstrap

FORCE:

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

package: build node_modules/.package-lock.json
	region=$$($(JOKEBOX) region $(REGION_FLAG)) && $(SLS) package --stage $(STAGE) --region "$$region" $(SLS_FLAGS)

# jokebox deploy runs `make build` and installs osls itself.
deploy:
	$(JOKEBOX) deploy --stage $(STAGE) $(REGION_FLAG)

remove:
	$(JOKEBOX) destroy --stage $(STAGE) $(REGION_FLAG)

# Lints the `test` stage's template, which needs no skill ID or credentials.
lint-deploy: build node_modules/.package-lock.json
	$(SLS) package --stage test --region us-east-1
	cfn-lint --non-zero-exit-code error $(CFN_TEMPLATE)
	$(ACTIONLINT) .github/workflows/*.yml
