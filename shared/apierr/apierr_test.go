package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkError is an error as the AWS SDK returns it: an operation error
// around a response error (the HTTP status) around the API error (the code).
func sdkError(status int, api error) error {
	re := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: api}}
	return &smithy.OperationError{ServiceID: "S3", OperationName: "HeadObject", Err: re}
}

// statusError is another API's error carrying a status, as *smapi.Error does.
type statusError int

func (e statusError) Error() string       { return fmt.Sprintf("status %d", int(e)) }
func (e statusError) HTTPStatusCode() int { return int(e) }

func TestIsNotFoundIsConflict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		err                error
		notFound, conflict bool
	}{
		{"nil", nil, false, false},
		{"plain error", errors.New("network down"), false, false},
		{"S3 HeadObject 404", sdkError(404, &s3types.NotFound{}), true, false},
		{"S3 GetObject NoSuchKey", sdkError(404, &s3types.NoSuchKey{}), true, false},
		{"SSM ParameterNotFound is a 400", sdkError(400, &ssmtypes.ParameterNotFound{}), true, false},
		{"Lambda ResourceNotFoundException", sdkError(404, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}), true, false},
		{"code without a response", &smithy.GenericAPIError{Code: "ResourceNotFoundException"}, true, false},
		{"S3 conditional write 412", sdkError(412, &smithy.GenericAPIError{Code: "PreconditionFailed"}), false, true},
		{"S3 ConditionalRequestConflict 409", sdkError(409, &smithy.GenericAPIError{Code: "ConditionalRequestConflict"}), false, true},
		{"Lambda ResourceConflictException", sdkError(409, &smithy.GenericAPIError{Code: "ResourceConflictException"}), false, true},
		{"Lambda code alone", &smithy.GenericAPIError{Code: "ResourceConflictException"}, false, true},
		{"access denied", sdkError(403, &smithy.GenericAPIError{Code: "AccessDenied"}), false, false},
		{"throttled", sdkError(400, &smithy.GenericAPIError{Code: "ThrottlingException"}), false, false},
		{"server error", sdkError(500, &smithy.GenericAPIError{Code: "InternalError"}), false, false},
		{"another API's 404, wrapped", fmt.Errorf("get skill: %w", statusError(404)), true, false},
		{"another API's 409", statusError(409), false, true},
		{"another API's 400", statusError(400), false, false},
	}
	for _, tt := range tests {
		if got := IsNotFound(tt.err); got != tt.notFound {
			t.Errorf("%s: IsNotFound = %v; want %v", tt.name, got, tt.notFound)
		}
		if got := IsConflict(tt.err); got != tt.conflict {
			t.Errorf("%s: IsConflict = %v; want %v", tt.name, got, tt.conflict)
		}
	}
	if got := Status(fmt.Errorf("x: %w", sdkError(412, nil))); got != 412 {
		t.Errorf("Status = %d; want 412", got)
	}
}
