// Package apierr recognizes two answers of AWS services, and of other HTTP
// APIs whose errors carry a status (SMAPI's *smapi.Error): "it does not
// exist" and "another write got there first". Every package that branches
// on them asks here, so an emulator's or a service's variant is taught once.
package apierr

import (
	"errors"
	"net/http"
	"slices"

	"github.com/aws/smithy-go"
)

// Error codes that mean "not found" without a 404: SSM answers a missing
// parameter with 400 ParameterNotFound. The others come with a 404 too.
var notFoundCodes = []string{"NotFound", "NoSuchKey", "NoSuchBucket", "ResourceNotFoundException", "ParameterNotFound", "NotFoundException"}

// Error codes of a lost race: S3's conditional writes (412, or 409 while
// another conditional write is in flight), Lambda's concurrent updates.
var conflictCodes = []string{"PreconditionFailed", "ConditionalRequestConflict", "ResourceConflictException", "ConflictException", "PreconditionFailedException"}

// Status returns the HTTP status code err carries (an AWS SDK response
// error, or any error with an HTTPStatusCode method), or 0.
func Status(err error) int {
	var s interface{ HTTPStatusCode() int }
	if errors.As(err, &s) {
		return s.HTTPStatusCode()
	}
	return 0
}

// IsNotFound reports whether err says that what was asked for does not
// exist: HTTP 404, or an error code that says so.
func IsNotFound(err error) bool {
	return err != nil && (Status(err) == http.StatusNotFound || hasCode(err, notFoundCodes))
}

// IsConflict reports whether err says that a write lost to another one:
// HTTP 409 Conflict or 412 Precondition Failed (a conditional write whose
// condition no longer holds), or an error code that says so.
func IsConflict(err error) bool {
	if err == nil {
		return false
	}
	s := Status(err)
	return s == http.StatusConflict || s == http.StatusPreconditionFailed || hasCode(err, conflictCodes)
}

func hasCode(err error, codes []string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && slices.Contains(codes, ae.ErrorCode())
}
