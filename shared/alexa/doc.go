// Package alexa holds the Alexa Skills Kit request and response types that
// jokebox uses, with typed constants and small builders. It is plain data:
// no behaviour beyond decoding with validation and building directives.
//
// Only the fields jokebox reads or writes are declared; decoding ignores the
// rest of a request.
package alexa
